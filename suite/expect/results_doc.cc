#include "suite/expect/results_doc.h"

#include <cmath>

#include "agents/base/text_rules.h"
#include "suite/classify/json_fields.h"
#include "suite/expect/claims.h"
#include "suite/matrix/json_file.h"

namespace lingerlab {
namespace {

using nlohmann::json;

const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string StringMember(const json* j, const char* key) {
  const json* v = j ? Member(*j, key) : nullptr;
  return v && v->is_string() ? v->get<std::string>() : "";
}

class Checker {
 public:
  explicit Checker(const std::string& path) : path_(path) {}

  Status Bad(const std::string& where, const std::string& what) const {
    return MakeError(ErrorCode::kInvalidInput, path_ + ": " + where + ": " + what);
  }
  // `key` of `obj`, when present, must be a string (or null when `nullable`).
  Status OptionalString(const json& obj, const char* key, const std::string& where,
                        bool nullable = false) const {
    const json* v = Member(obj, key);
    if (!v || v->is_string() || (nullable && v->is_null())) return Status::Ok();
    return Bad(where + "." + key, nullable ? "must be a string or null" : "must be a string");
  }
  // `key` of `obj`, when present, must be an object (or null when `nullable`).
  Status OptionalObject(const json& obj, const char* key, const std::string& where,
                        bool nullable = false) const {
    const json* v = Member(obj, key);
    if (!v || v->is_object() || (nullable && v->is_null())) return Status::Ok();
    return Bad(where + "." + key, nullable ? "must be an object or null" : "must be an object");
  }

 private:
  std::string path_;
};

// Bounds of what the coordinator accepts from an agent (agent_client.cc):
// a file that passes them is one a run could have written.
constexpr size_t kMaxPlatformTextBytes = 256;
constexpr size_t kMaxFamilyBytes = 64;
// Longer than any path a run writes under its directory.
constexpr size_t kMaxRunPathBytes = 512;

Status CheckPlatform(const Checker& ck, const json& platform, const std::string& where) {
  for (const char* key : {"os", "release", "family", "kernel_version", "arch", "hostname"}) {
    if (Status s = ck.OptionalString(platform, key, where); !s.ok()) return s;
    const json* v = Member(platform, key);
    if (v && !IsPlainText(v->get_ref<const std::string&>(), kMaxPlatformTextBytes))
      return ck.Bad(where + "." + key, "must be at most " + std::to_string(kMaxPlatformTextBytes) +
                                           " bytes without control characters");
  }
  const json* family = Member(platform, "family");
  if (family && !IsSafeName(family->get_ref<const std::string&>(), kMaxFamilyBytes))
    return ck.Bad(where + ".family", "must be a plain name ([A-Za-z0-9._+=-])");
  return Status::Ok();
}

Status CheckCase(const Checker& ck, const json& c, const std::string& where, const Matrix& matrix,
                 double time_scale, int64_t repeat) {
  if (!c.is_object()) return ck.Bad(where, "must be an object");
  for (const char* key : {"id", "name", "status"}) {
    const json* v = Member(c, key);
    if (!v || !v->is_string()) return ck.Bad(where + "." + key, "must be a string");
  }
  const std::string id = c.at("id").get<std::string>();
  if (!matrix.Find(id))
    return ck.Bad(where + ".id",
                  "\"" + Shorten(id) + "\" is not a case of matrix \"" + matrix.name + "\"");
  if (!IsSafeName(c.at("name").get<std::string>(), kMaxCaseNameLength))
    return ck.Bad(where + ".name", "must be a file-name-safe name, as the matrix's are");
  const std::string status = c.at("status").get<std::string>();
  if (status != "completed" && status != "error")
    return ck.Bad(where + ".status", "must be \"completed\" or \"error\"");
  if (Status s = ck.OptionalString(c, "error", where, true); !s.ok()) return s;
  if (const json* k = Member(c, "repetition")) {
    if (!k->is_number_integer() || k->get<int64_t>() < 1 || k->get<int64_t>() > repeat)
      return ck.Bad(where + ".repetition", "must be an integer from 1 to environment.repeat (" +
                                               std::to_string(repeat) + ")");
  }

  if (Status s = ck.OptionalObject(c, "parameters", where, true); !s.ok()) return s;
  if (const json* p = Member(c, "parameters"); p && p->is_object()) {
    if (const json* ts = Member(*p, "time_scale")) {
      if (!ts->is_number() || ts->get<double>() != time_scale)
        return ck.Bad(where + ".parameters.time_scale",
                      "must equal environment.time_scale (" + json(time_scale).dump() + ")");
    }
    for (const char* block : {"nominal", "applied"}) {
      if (Status s = ck.OptionalObject(*p, block, where + ".parameters", true); !s.ok()) return s;
      const json* b = Member(*p, block);
      const json* linger = b ? Member(*b, "linger_s") : nullptr;
      if (linger && !linger->is_null() && !(linger->is_number() && linger->get<double>() >= 0))
        return ck.Bad(where + ".parameters." + block + ".linger_s",
                      "must be a number >= 0 or null");
    }
  }

  if (Status s = ck.OptionalObject(c, "capture", where, true); !s.ok()) return s;
  if (const json* capture = Member(c, "capture"); capture && capture->is_object()) {
    const json* pcap = Member(*capture, "pcap");
    if (pcap && !pcap->is_null() &&
        !(pcap->is_string() &&
          IsSafeRelativePath(pcap->get_ref<const std::string&>(), kMaxRunPathBytes)))
      return ck.Bad(where + ".capture.pcap",
                    "must be null or a relative path under the run's directory "
                    "(\"pcaps/<id>__<name>.pcap\", or <id>__<name>__r<K>.pcap)");
  }

  // A stack fault (doc/results-format.md): its texts reach reports and
  // terminals, its kind and op the claim stack_fault.
  if (Status s = ck.OptionalObject(c, "stack_fault", where, true); !s.ok()) return s;
  if (const json* f = Member(c, "stack_fault"); f && f->is_object()) {
    const std::string at = where + ".stack_fault";
    const json* kind = Member(*f, "kind");
    if (!kind || (*kind != "exited" && *kind != "hung"))
      return ck.Bad(at + ".kind", "must be \"exited\" or \"hung\"");
    const json* host = Member(*f, "host");
    if (!host || (*host != "server" && *host != "client"))
      return ck.Bad(at + ".host", "must be \"server\" or \"client\"");
    const json* op = Member(*f, "op");
    if (!op || !op->is_string() || !IsSafeName(op->get_ref<const std::string&>(), 32))
      return ck.Bad(at + ".op", "must be an operation's name");
    const json* detail = Member(*f, "detail");
    if (detail && !(detail->is_string() &&
                    IsPlainText(detail->get_ref<const std::string&>(), kMaxPlatformTextBytes)))
      return ck.Bad(at + ".detail", "must be at most " + std::to_string(kMaxPlatformTextBytes) +
                                        " bytes of plain text");
  }

  if (Status s = ck.OptionalObject(c, "agents", where, true); !s.ok()) return s;
  if (const json* agents = Member(c, "agents"); agents && agents->is_object()) {
    for (const char* role : {"server", "client"}) {
      const std::string at = where + ".agents";
      if (Status s = ck.OptionalObject(*agents, role, at, true); !s.ok()) return s;
      const json* agent = Member(*agents, role);
      if (!agent || !agent->is_object()) continue;
      const std::string on = at + "." + role;
      if (Status s = ck.OptionalObject(*agent, "platform", on, true); !s.ok()) return s;
      if (const json* p = Member(*agent, "platform"); p && p->is_object())
        if (Status s = CheckPlatform(ck, *p, on + ".platform"); !s.ok()) return s;
    }
  }

  // What the classifier reads: event lists of objects with a step, packets
  // with their documented fields (doc/results-format.md).
  if (Status s = ck.OptionalObject(c, "events", where, true); !s.ok()) return s;
  if (const json* events = Member(c, "events"); events && events->is_object()) {
    for (const char* role : {"server", "client", "lab"}) {
      const json* list = Member(*events, role);
      if (!list) continue;
      const std::string at = where + ".events." + role;
      if (!list->is_array()) return ck.Bad(at, "must be an array");
      for (size_t i = 0; i < list->size(); ++i) {
        const json& e = (*list)[i];
        const std::string on = at + "[" + std::to_string(i) + "]";
        if (!e.is_object()) return ck.Bad(on, "must be an object");
        const json* step = Member(e, "step");
        if (!step || !step->is_string()) return ck.Bad(on + ".step", "must be a string");
      }
    }
  }
  if (const json* packets = Member(c, "packets")) {
    if (!packets->is_null() && !packets->is_array())
      return ck.Bad(where + ".packets", "must be an array or null");
    for (size_t i = 0; packets->is_array() && i < packets->size(); ++i) {
      const json& p = (*packets)[i];
      const std::string on = where + ".packets[" + std::to_string(i) + "]";
      if (!p.is_object()) return ck.Bad(on, "must be an object");
      const json* t = Member(p, "t");
      if (!t || !t->is_number()) return ck.Bad(on + ".t", "must be a number");
      for (const char* key : {"dir", "flags"}) {
        const json* v = Member(p, key);
        if (!v || !v->is_string()) return ck.Bad(on + "." + key, "must be a string");
      }
      for (const char* key : {"seq", "ack", "len"}) {
        const json* v = Member(p, key);
        if (!v || !v->is_number_integer()) return ck.Bad(on + "." + key, "must be an integer");
      }
    }
  }

  if (Status s = ck.OptionalObject(c, "outcome", where, true); !s.ok()) return s;
  if (const json* outcome = Member(c, "outcome"); outcome && outcome->is_object()) {
    if (Status s = ck.OptionalObject(*outcome, "claims", where + ".outcome"); !s.ok()) return s;
    if (const json* claims = Member(*outcome, "claims")) {
      for (const auto& [name, value] : claims->items()) {
        const std::string at = where + ".outcome.claims." + Shorten(name);
        const ClaimInfo* info = FindClaim(name);
        if (!info) return ck.Bad(at, "unknown claim");
        if (std::string why = CheckClaimValue(*info, value); !why.empty())
          return ck.Bad(at, "must " + why);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

const json* ServerPlatform(const json& case_doc) {
  const json* agents = Member(case_doc, "agents");
  const json* server = agents ? Member(*agents, "server") : nullptr;
  const json* platform = server ? Member(*server, "platform") : nullptr;
  return platform && platform->is_object() ? platform : nullptr;
}

std::string CaseFamily(const json& case_doc) {
  return StringMember(ServerPlatform(case_doc), "family");
}

const json& ClaimsOfCase(const json& case_doc) {
  return classify::FieldOrNull(classify::FieldOrNull(case_doc, "outcome"), "claims");
}

std::string CaseHostOs(const json& case_doc) {
  return StringMember(ServerPlatform(case_doc), "os");
}

double CaseAppliedLinger(const json& case_doc) {
  const json* params = Member(case_doc, "parameters");
  const json* applied = params ? Member(*params, "applied") : nullptr;
  const json* linger = applied ? Member(*applied, "linger_s") : nullptr;
  return linger && linger->is_number() ? linger->get<double>() : 0.0;
}

CompareOptions CaseCompareOptions(const json& case_doc, double time_scale) {
  CompareOptions opt;
  opt.time_scale = time_scale;
  opt.host_os = CaseHostOs(case_doc);
  const json* capture = Member(case_doc, "capture");
  const json* available = capture ? Member(*capture, "available") : nullptr;
  if (available && available->is_boolean() && !available->get<bool>()) {
    const std::string reason = StringMember(capture, "reason");
    opt.no_capture_reason = reason.empty() ? "no reason given" : reason;
  }
  if (const json* fault = Member(case_doc, "stack_fault"); fault && fault->is_object()) {
    const std::string host = StringMember(fault, "host"), op = StringMember(fault, "op");
    const std::string kind = StringMember(fault, "kind"), detail = StringMember(fault, "detail");
    opt.stack_fault_reason = "stack fault: the " + (host.empty() ? "server" : host) + "'s stack " +
                             (kind == "hung" ? "hung" : "exited") + " in " +
                             (op.empty() ? "a call" : op + "()") +
                             (detail.empty() ? "" : " (" + detail + ")");
  }
  return opt;
}

const json* RunPlatform(const json& results_doc) {
  const json* cases = Member(results_doc, "cases");
  if (!cases || !cases->is_array()) return nullptr;
  for (const json& c : *cases)
    if (const json* p = ServerPlatform(c)) return p;
  return nullptr;
}

std::string RunFamily(const json& results_doc) {
  std::string forced = StringMember(Member(results_doc, "environment"), "expect_family");
  return forced.empty() ? StringMember(RunPlatform(results_doc), "family") : forced;
}

double RunTimeScale(const json& results_doc) {
  const json* env = Member(results_doc, "environment");
  const json* ts = env ? Member(*env, "time_scale") : nullptr;
  return ts && ts->is_number() ? ts->get<double>() : 1.0;
}

Status CheckResultsDoc(const json& doc, const std::string& path, const Matrix& matrix) {
  const Checker ck(path);
  if (!doc.is_object() || Member(doc, "format") == nullptr ||
      *Member(doc, "format") != json("lingerlab-results/1"))
    return ck.Bad("format", "not a lingerlab-results/1 document");
  const json* env = Member(doc, "environment");
  if (!env || !env->is_object()) return ck.Bad("environment", "must be an object");
  const json* ts = Member(*env, "time_scale");
  if (!ts || !ts->is_number() || !std::isfinite(ts->get<double>()) || ts->get<double>() <= 0 ||
      ts->get<double>() > 100)
    return ck.Bad("environment.time_scale", "must be a number in (0, 100]");
  for (const char* key : {"expect_family", "target", "matrix"})
    if (Status s = ck.OptionalString(*env, key, "environment"); !s.ok()) return s;
  if (Status s = ck.OptionalObject(*env, "host", "environment", true); !s.ok()) return s;
  int64_t repeat = 1;  // absent: a run without --repeat
  if (const json* r = Member(*env, "repeat")) {
    if (!r->is_number_integer() || r->get<int64_t>() < 1 || r->get<int64_t>() > kMaxRepeat)
      return ck.Bad("environment.repeat",
                    "must be an integer from 1 to " + std::to_string(kMaxRepeat));
    repeat = r->get<int64_t>();
  }
  const json* cases = Member(doc, "cases");
  if (!cases || !cases->is_array()) return ck.Bad("cases", "must be an array");
  for (size_t i = 0; i < cases->size(); ++i) {
    Status s = CheckCase(ck, (*cases)[i], "cases[" + std::to_string(i) + "]", matrix,
                         ts->get<double>(), repeat);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Result<json> LoadResultsFile(const std::string& path, const Matrix& matrix) {
  auto doc = LoadJsonFile(path);
  if (!doc.ok()) return doc.error();
  if (Status s = CheckResultsDoc(*doc, path, matrix); !s.ok()) return s.error();
  return doc;
}

}  // namespace lingerlab
