#include "suite/classify/case_view.h"

#include "suite/classify/json_fields.h"

namespace lingerlab::classify {
namespace {

std::vector<CaseEvent> ParseEvents(const nlohmann::json* list, const std::string& agent,
                                   std::vector<std::string>* problems) {
  std::vector<CaseEvent> events;
  if (list == nullptr || !list->is_array()) {
    problems->push_back("no events." + agent + " list");
    return events;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& e = (*list)[i];
    if (Field(e, "fault") != nullptr) continue;  // a stack fault: CaseView::stack_fault
    CaseEvent ev;
    ev.index = i;
    ev.step = StringField(e, "step").value_or("");
    ev.handle = StringField(e, "handle").value_or("");
    if (ev.handle.empty()) {
      if (const nlohmann::json* args = Field(e, "args")) {
        ev.handle = StringField(*args, "handle").value_or("");
      }
    }
    ev.t_start = NumberField(e, "t_start");
    ev.t_end = NumberField(e, "t_end");
    ev.ret = IntField(e, "ret");
    ev.errno_value = IntField(e, "errno");
    ev.errno_name = StringField(e, "errno_name");
    ev.raw = e;
    if (ev.step.empty()) {
      problems->push_back(agent + " event " + std::to_string(i) + " has no step");
    }
    events.push_back(std::move(ev));
  }
  return events;
}

std::vector<CasePacket> ParsePackets(const nlohmann::json& list,
                                     std::vector<std::string>* problems) {
  std::vector<CasePacket> packets;
  size_t unusable = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& p = list[i];
    auto t = NumberField(p, "t");
    auto dir = StringField(p, "dir");
    auto flags = StringField(p, "flags");
    auto seq = IntField(p, "seq");
    auto ack = IntField(p, "ack");
    auto len = IntField(p, "len");
    if (!t || !dir || (*dir != "s2c" && *dir != "c2s") || !flags || !seq || !ack || !len) {
      ++unusable;
      continue;
    }
    CasePacket pk;
    pk.index = i;  // the index in the file, so evidence points at the real entry
    pk.t = *t;
    pk.s2c = *dir == "s2c";
    pk.flags = *flags;
    pk.seq = *seq;
    pk.ack = *ack;
    pk.len = *len;
    pk.win = IntField(p, "win").value_or(0);
    packets.push_back(std::move(pk));
  }
  if (unusable > 0) {
    problems->push_back(std::to_string(unusable) + " packet(s) lack t/dir/flags/seq/ack/len");
  }
  return packets;
}

}  // namespace

std::optional<double> CaseEvent::Duration() const {
  if (!t_start || !t_end) return std::nullopt;
  return *t_end - *t_start;
}

std::string CaseEvent::Option() const {
  if (const nlohmann::json* args = Field(raw, "args")) {
    return StringField(*args, "option").value_or("");
  }
  return "";
}

const CaseEvent* CaseView::Find(const std::vector<CaseEvent>& events, std::string_view step,
                                std::string_view handle, size_t from) {
  for (size_t i = from; i < events.size(); ++i) {
    if (events[i].step == step && (handle.empty() || events[i].handle == handle)) {
      return &events[i];
    }
  }
  return nullptr;
}

const CaseEvent* CaseView::FindLastBefore(const std::vector<CaseEvent>& events,
                                          std::string_view step, std::string_view handle,
                                          size_t before) {
  const CaseEvent* found = nullptr;
  for (size_t i = 0; i < events.size() && i < before; ++i) {
    if (events[i].step == step && (handle.empty() || events[i].handle == handle)) {
      found = &events[i];
    }
  }
  return found;
}

CaseView ParseCase(const nlohmann::json& case_doc) {
  CaseView v;
  v.id = StringField(case_doc, "id").value_or("");
  v.status = StringField(case_doc, "status").value_or("");
  v.error = StringField(case_doc, "error");

  if (const nlohmann::json* params = Field(case_doc, "parameters")) {
    v.parameters.client = StringField(*params, "client").value_or("");
    if (const nlohmann::json* linger = Field(*params, "linger"); linger && linger->is_object()) {
      v.parameters.linger_socket = StringField(*linger, "socket");
    }
    v.parameters.shutdown = StringField(*params, "shutdown").value_or("none");
    if (const nlohmann::json* n = Field(*params, "nominal"); n && n->is_object()) {
      v.parameters.nominal = *n;
    }
    if (const nlohmann::json* a = Field(*params, "applied"); a && a->is_object()) {
      v.parameters.applied = *a;
    }
  } else {
    v.problems.push_back("no parameters");
  }

  const nlohmann::json* events = Field(case_doc, "events");
  v.server = ParseEvents(events ? Field(*events, "server") : nullptr, "server", &v.problems);
  v.client = ParseEvents(events ? Field(*events, "client") : nullptr, "client", &v.problems);

  if (const nlohmann::json* packets = Field(case_doc, "packets"); packets && packets->is_array()) {
    v.has_packets_array = true;
    v.packets = ParsePackets(*packets, &v.problems);
  }
  if (const nlohmann::json* capture = Field(case_doc, "capture")) {
    v.capture_dropped = IntField(*capture, "dropped");
  }
  if (const nlohmann::json* fault = Field(case_doc, "stack_fault")) {
    if (fault->is_null() || fault->is_object()) {
      v.stack_fault = *fault;
    } else {
      v.problems.push_back("stack_fault is neither null nor an object");
    }
  }
  return v;
}

}  // namespace lingerlab::classify
