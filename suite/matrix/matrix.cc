#include "suite/matrix/matrix.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>

#include "agents/base/text_rules.h"
#include "agents/protocol/protocol.h"
#include "suite/matrix/json_file.h"

namespace lingerlab {
namespace {

using nlohmann::json;

// Reads one parameter, if present in `obj`, into `out` with range checks.
template <typename T>
Status ReadParam(const json& obj, const char* key, T* out, double min, double max,
                 const std::string& origin, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if (!it->is_number() || (std::is_integral_v<T> && !it->is_number_integer()))
    return FieldError(origin, where + "." + key,
                      std::is_integral_v<T> ? "must be an integer" : "must be a number");
  double v = it->get<double>();
  if (!std::isfinite(v) || v < min || v > max)
    return FieldError(origin, where + "." + key,
                      "must be between " + json(min).dump() + " and " + json(max).dump());
  *out = static_cast<T>(v);
  return Status::Ok();
}

Status ReadParams(const json& obj, CaseParams* p, const std::string& origin,
                  const std::string& where) {
  if (!obj.is_object()) return FieldError(origin, where, "must be an object");
  static const std::set<std::string> known = {
      "payload_bytes",  "server_sndbuf",     "client_rcvbuf", "read_chunk",       "port",
      "server_pause_s", "read_interval_s",   "idle_s",        "eof_wait_limit_s", "settle_s",
      "request_bytes",  "queue_wait_limit_s"};
  for (auto& [k, v] : obj.items())
    if (!known.count(k))
      return FieldError(origin, where + "." + k.substr(0, 40), "unknown parameter");
  const double day = 86400;
  // What an agent sleeps or waits through in one step (doc/protocol.md §3.3).
  const double step = protocol::kMaxStepMs / 1000.0;
  for (Status s :
       {ReadParam(obj, "payload_bytes", &p->payload_bytes, 0, 1 << 30, origin, where),
        ReadParam(obj, "server_sndbuf", &p->server_sndbuf, 0, 1 << 30, origin, where),
        ReadParam(obj, "client_rcvbuf", &p->client_rcvbuf, 0, 1 << 30, origin, where),
        ReadParam(obj, "read_chunk", &p->read_chunk, 1, 1 << 20, origin, where),
        ReadParam(obj, "port", &p->port, 1, 65535, origin, where),
        ReadParam(obj, "server_pause_s", &p->server_pause_s, 0, step, origin, where),
        ReadParam(obj, "read_interval_s", &p->read_interval_s, 0, step, origin, where),
        ReadParam(obj, "idle_s", &p->idle_s, 0, step, origin, where),
        ReadParam(obj, "eof_wait_limit_s", &p->eof_wait_limit_s, 0, step, origin, where),
        ReadParam(obj, "settle_s", &p->settle_s, 0, day, origin, where),
        ReadParam(obj, "request_bytes", &p->request_bytes, 0, 1 << 20, origin, where),
        ReadParam(obj, "queue_wait_limit_s", &p->queue_wait_limit_s, 0, step, origin, where)})
    if (!s.ok()) return s;
  return Status::Ok();
}

const std::set<std::string> kTopLevelFields = {
    "format",         "name",      "title",  "source",     "defaults", "cases",
    "summary_tables", "scenarios", "setups", "case_names", "expected"};
const std::set<std::string> kCaseFields = {"id",       "name",      "client",   "linger",
                                           "shutdown", "overrides", "scenario", "description"};

// obj[key] as a string of at most `max_len` bytes. A missing key is an error
// unless `may_be_absent`, then it reads as `fallback`.
Result<std::string> ReadString(const json& obj, const char* key, const std::string& origin,
                               const std::string& where, size_t max_len, bool may_be_absent = false,
                               const std::string& fallback = "") {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (may_be_absent) return fallback;
    return FieldError(origin, where, "is required");
  }
  if (!it->is_string()) return FieldError(origin, where, "must be a string");
  const std::string& v = it->get_ref<const std::string&>();
  if (v.size() > max_len)
    return FieldError(origin, where, "is longer than " + std::to_string(max_len) + " characters");
  return v;
}

// obj[key] when it is an integer in [min, max] (unsigned values beyond the
// signed range included: 2^32+20 must not become 20).
std::optional<int64_t> IntegerIn(const json& obj, const char* key, int64_t min, int64_t max) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() &&
      it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) return std::nullopt;
  return v;
}

// "03", "T12": optional letters, then two or more digits. Checked by hand:
// std::regex recurses once per character and overflowed the stack on a
// 200,000-character id.
bool IsCaseId(const std::string& id) {
  size_t i = 0;
  while (i < id.size() && std::isalpha(static_cast<unsigned char>(id[i]))) ++i;
  const size_t digits = id.size() - i;
  if (digits < 2) return false;
  for (; i < id.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(id[i]))) return false;
  return true;
}

Result<SummaryTableCases> ReadSummaryTables(const json& j, const Matrix& m,
                                            const std::string& origin) {
  SummaryTableCases t;
  const std::vector<std::pair<const char*, std::vector<std::string>*>> groups = {
      {"on_zero_listening", &t.on_zero_listening},
      {"on_zero_connected", &t.on_zero_connected},
      {"on_zero_listening_after_shutdown", &t.on_zero_listening_after_shutdown},
      {"on_zero_connected_after_shutdown", &t.on_zero_connected_after_shutdown},
      {"on_twenty", &t.on_twenty},
      {"on_twenty_after_shutdown", &t.on_twenty_after_shutdown}};
  if (!j.is_object()) return FieldError(origin, "summary_tables", "must be an object");
  for (auto& [k, v] : j.items()) {
    bool known = false;
    for (auto& g : groups) known |= k == g.first;
    if (!known) return FieldError(origin, "summary_tables." + Shorten(k), "unknown field");
  }
  for (auto& [key, out] : groups) {
    const std::string where = std::string("summary_tables.") + key;
    if (!j.contains(key) || !j[key].is_array() || j[key].empty())
      return FieldError(origin, where, "must be a non-empty array of case ids");
    for (size_t i = 0; i < j[key].size(); ++i) {
      const json& id = j[key][i];
      const std::string at = where + "[" + std::to_string(i) + "]";
      if (!id.is_string()) return FieldError(origin, at, "must be a case id (string)");
      if (!m.Find(id.get<std::string>()))
        return FieldError(
            origin, at, "\"" + Shorten(id.get<std::string>()) + "\" is not a case of this matrix");
      out->push_back(id.get<std::string>());
    }
  }
  return t;
}

std::string Fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

const char* ClientKindName(ClientKind k) {
  switch (k) {
    case ClientKind::kIdle:
      return "idle";
    case ClientKind::kSlow:
      return "slow";
    case ClientKind::kFast:
      return "fast";
  }
  return "?";
}
const char* LingerSocketName(LingerSocket s) {
  switch (s) {
    case LingerSocket::kListening:
      return "lsock";
    case LingerSocket::kConnected:
      return "csock";
    case LingerSocket::kConnectedLate:
      return "csock_late";
  }
  return "?";
}
const char* ShutdownModeName(ShutdownMode m) {
  switch (m) {
    case ShutdownMode::kNone:
      return "none";
    case ShutdownMode::kWaitEof:
      return "wait_eof";
    case ShutdownMode::kWaitEofLimited:
      return "wait_eof_limited";
  }
  return "?";
}

std::string DerivedCaseName(const MatrixCase& c) {
  std::string n = std::string(ClientKindName(c.client)) + "-client__";
  n += c.linger ? "linger-" + std::string(LingerSocketName(c.linger->socket)) + "-" +
                      std::to_string(c.linger->seconds)
                : "no-linger";
  if (c.shutdown == ShutdownMode::kWaitEof) n += "__shutdown";
  if (c.shutdown == ShutdownMode::kWaitEofLimited)
    n += "__shutdown-" + Fmt(c.params.eof_wait_limit_s);
  return n;
}

Result<Matrix> ParseMatrix(const json& doc, const std::string& origin) {
  if (!doc.is_object()) return FieldError(origin, "top level", "must be an object");
  for (auto& [k, v] : doc.items())
    if (!kTopLevelFields.count(k)) return FieldError(origin, Shorten(k), "unknown field");
  auto format = ReadString(doc, "format", origin, "format", 64);
  if (!format.ok()) return format.error();
  if (*format != "lingerlab-matrix/1")
    return FieldError(origin, "format", "must be \"lingerlab-matrix/1\"");
  Matrix m;
  m.path = origin;
  for (auto [key, out, max] :
       {std::tuple{"name", &m.name, size_t{64}}, std::tuple{"title", &m.title, size_t{512}},
        std::tuple{"source", &m.source, size_t{4096}}}) {
    auto v = ReadString(doc, key, origin, key, max, std::string(key) != "name");
    if (!v.ok()) return v.error();
    *out = *v;
  }
  if (m.name.empty()) return FieldError(origin, "name", "is required");
  if (m.title.empty()) m.title = m.name;
  // Names derived from the parameters (the SO_LINGER matrix) or free, each
  // saying what its case does (data_loss.json).
  auto case_names = ReadString(doc, "case_names", origin, "case_names", 16, true, "derived");
  if (!case_names.ok()) return case_names.error();
  if (*case_names != "derived" && *case_names != "free")
    return FieldError(origin, "case_names", "must be \"derived\" or \"free\"");
  const bool derived_names = *case_names == "derived";
  auto expected = ReadString(doc, "expected", origin, "expected", 256, true, "expected");
  if (!expected.ok()) return expected.error();
  if (expected->empty() || expected->front() == '/' || expected->find("..") != std::string::npos)
    return FieldError(origin, "expected", "must be a directory below the matrix file's");
  const size_t slash = origin.find_last_of('/');
  m.expected_dir =
      (slash == std::string::npos ? std::string() : origin.substr(0, slash + 1)) + *expected;
  SharedSetups setups;
  if (doc.contains("setups")) {
    const json& sj = doc["setups"];
    if (!sj.is_object() || sj.size() > 64)
      return FieldError(origin, "setups", "must be an object of at most 64 named step lists");
    for (auto& [k, v] : sj.items()) {
      auto steps = ParseSetupSteps(v, origin, "setups." + Shorten(k));
      if (!steps.ok()) return steps.error();
      setups[k] = std::move(steps).value();
    }
  }
  if (doc.contains("scenarios")) {
    const json& sj = doc["scenarios"];
    if (!sj.is_object() || sj.empty() || sj.size() > 64)
      return FieldError(origin, "scenarios", "must be an object of 1..64 named scenarios");
    for (auto& [k, v] : sj.items()) {
      if (k.empty() || k.size() > 64)
        return FieldError(origin, "scenarios", "names are 1..64 characters");
      auto sc = ParseScenario(v, k, origin, "scenarios." + k, setups);
      if (!sc.ok()) return sc.error();
      m.scenarios[k] = std::make_shared<const Scenario>(std::move(sc).value());
    }
  }
  CaseParams defaults;
  if (doc.contains("defaults")) {
    Status s = ReadParams(doc["defaults"], &defaults, origin, "defaults");
    if (!s.ok()) return s.error();
  }
  if (!doc.contains("cases") || !doc["cases"].is_array() || doc["cases"].empty())
    return FieldError(origin, "cases", "must be a non-empty array");
  std::set<std::string> seen;
  for (size_t i = 0; i < doc["cases"].size(); ++i) {
    const json& j = doc["cases"][i];
    std::string where = "cases[" + std::to_string(i) + "]";
    if (!j.is_object()) return FieldError(origin, where, "must be an object");
    for (auto& [k, v] : j.items())
      if (!kCaseFields.count(k))
        return FieldError(origin, where + "." + Shorten(k), "unknown field");
    MatrixCase c;
    auto id = ReadString(j, "id", origin, where + ".id", kMaxCaseIdLength);
    if (!id.ok()) return id.error();
    c.id = *id;
    if (!IsCaseId(c.id))
      return FieldError(origin, where + ".id",
                        "must be two or more digits, optionally after a prefix");
    where = "case " + c.id;
    if (!seen.insert(c.id).second) return FieldError(origin, where, "duplicate id");
    auto name = ReadString(j, "name", origin, where + ".name", kMaxCaseNameLength);
    if (!name.ok()) return name.error();
    c.name = *name;
    // The id and name become file names (pcaps/<id>__<name>.pcap,
    // cases/<id>__<name>.json): a name such as "x/../../ESCAPED" would
    // write outside the run's directory.
    if (!IsSafeName(c.name, kMaxCaseNameLength))
      return FieldError(origin, where + ".name",
                        "\"" + Shorten(c.name) + "\" is not a file-name-safe name: 1.." +
                            std::to_string(kMaxCaseNameLength) +
                            " of A-Z a-z 0-9 . _ + = -, not starting with '.' or '-' (it becomes "
                            "part of the case's file names)");
    auto client = ReadString(j, "client", origin, where + ".client", 16);
    if (!client.ok()) return client.error();
    if (*client == "idle")
      c.client = ClientKind::kIdle;
    else if (*client == "slow")
      c.client = ClientKind::kSlow;
    else if (*client == "fast")
      c.client = ClientKind::kFast;
    else
      return FieldError(origin, where + ".client", "must be idle, slow or fast");
    if (j.contains("linger") && !j["linger"].is_null()) {
      const json& l = j["linger"];
      if (!l.is_object()) return FieldError(origin, where + ".linger", "must be an object or null");
      for (auto& [k, v] : l.items())
        if (k != "socket" && k != "seconds")
          return FieldError(origin, where + ".linger." + Shorten(k), "unknown field");
      LingerSetting ls;
      auto sock = ReadString(l, "socket", origin, where + ".linger.socket", 16);
      if (!sock.ok()) return sock.error();
      if (*sock == "lsock")
        ls.socket = LingerSocket::kListening;
      else if (*sock == "csock")
        ls.socket = LingerSocket::kConnected;
      else if (*sock == "csock_late")
        ls.socket = LingerSocket::kConnectedLate;
      else
        return FieldError(origin, where + ".linger.socket", "must be lsock, csock or csock_late");
      auto seconds = IntegerIn(l, "seconds", 0, 3600);
      if (!seconds)
        return FieldError(origin, where + ".linger.seconds", "must be an integer 0..3600");
      ls.seconds = static_cast<int>(*seconds);
      c.linger = ls;
    }
    auto sd = ReadString(j, "shutdown", origin, where + ".shutdown", 32, true, "none");
    if (!sd.ok()) return sd.error();
    if (*sd == "none")
      c.shutdown = ShutdownMode::kNone;
    else if (*sd == "wait_eof")
      c.shutdown = ShutdownMode::kWaitEof;
    else if (*sd == "wait_eof_limited")
      c.shutdown = ShutdownMode::kWaitEofLimited;
    else
      return FieldError(origin, where + ".shutdown", "must be none, wait_eof or wait_eof_limited");
    if (c.linger && c.linger->socket == LingerSocket::kConnectedLate &&
        c.shutdown == ShutdownMode::kNone)
      return FieldError(origin, where + ".linger", "csock_late needs a shutdown mode");
    c.params = defaults;
    if (j.contains("overrides")) {
      Status s = ReadParams(j["overrides"], &c.params, origin, where + ".overrides");
      if (!s.ok()) return s.error();
    }
    if (c.params.payload_bytes <= 0 || c.params.read_chunk <= 0 || c.params.port <= 0)
      return FieldError(origin, where,
                        "payload_bytes, read_chunk and port must be set (defaults?)");
    std::string derived = DerivedCaseName(c);
    if (derived_names && c.name != derived)
      return FieldError(origin, where + ".name",
                        "is \"" + c.name + "\" but the parameters say \"" + derived + "\"");
    auto description = ReadString(j, "description", origin, where + ".description", 1024, true);
    if (!description.ok()) return description.error();
    c.description = *description;
    if (j.contains("scenario")) {
      auto sc = ReadString(j, "scenario", origin, where + ".scenario", 64);
      if (!sc.ok()) return sc.error();
      auto it = m.scenarios.find(*sc);
      if (it == m.scenarios.end())
        return FieldError(origin, where + ".scenario",
                          "\"" + Shorten(*sc) + "\" is not in \"scenarios\"");
      c.scenario = it->second;
    } else if (m.scenarios.size() == 1) {
      c.scenario = m.scenarios.begin()->second;
    } else if (m.scenarios.size() > 1) {
      return FieldError(origin, where + ".scenario", "is required: the file has several scenarios");
    }
    m.cases.push_back(std::move(c));
  }
  if (doc.contains("summary_tables")) {
    auto tables = ReadSummaryTables(doc["summary_tables"], m, origin);
    if (!tables.ok()) return tables.error();
    m.summary_tables = std::move(tables).value();
  }
  return m;
}

Result<Matrix> LoadMatrix(const std::string& path) {
  auto doc = LoadJsonFile(path);
  if (!doc.ok()) return doc.error();
  return ParseMatrix(*doc, path);
}

const MatrixCase* Matrix::Find(const std::string& id) const {
  for (const MatrixCase& c : cases)
    if (c.id == id) return &c;
  return nullptr;
}

AppliedParams ApplyTimeScale(const MatrixCase& c, double s) {
  AppliedParams a;
  a.params = c.params;
  a.params.server_pause_s *= s;
  a.params.read_interval_s *= s;
  a.params.idle_s *= s;
  a.params.eof_wait_limit_s *= s;
  a.params.queue_wait_limit_s *= s;
  a.params.settle_s = std::max(c.params.settle_s * s, std::min(kSettleFloorS, c.params.settle_s));
  if (c.linger)
    a.linger_s = c.linger->seconds == 0
                     ? 0
                     : std::max(1, static_cast<int>(std::ceil(c.linger->seconds * s - 1e-9)));
  return a;
}

std::map<std::string, std::string> CaseAttributes(const MatrixCase& c, const std::string& variant) {
  return {{"client", ClientKindName(c.client)},
          {"linger.socket", c.linger ? LingerSocketName(c.linger->socket) : "none"},
          {"shutdown", ShutdownModeName(c.shutdown)},
          {"variant", variant}};
}

json ParametersJson(const MatrixCase& c, double time_scale, const std::string& variant) {
  auto block = [&](const CaseParams& p, std::optional<int> linger_s) {
    json b{{"payload_bytes", p.payload_bytes},
           {"server_sndbuf", p.server_sndbuf},
           {"client_rcvbuf", p.client_rcvbuf},
           {"read_chunk", p.read_chunk},
           {"port", p.port},
           {"server_pause_s", p.server_pause_s},
           {"read_interval_s", c.client == ClientKind::kSlow ? json(p.read_interval_s) : json(0)},
           {"idle_s", c.client == ClientKind::kIdle ? json(p.idle_s) : json(0)},
           {"eof_wait_limit_s",
            c.shutdown == ShutdownMode::kWaitEofLimited ? json(p.eof_wait_limit_s) : json(nullptr)},
           {"linger_s", linger_s ? json(*linger_s) : json(nullptr)},
           {"settle_s", p.settle_s}};
    // Only where a matrix uses them: results of the SO_LINGER matrix keep their shape.
    if (p.request_bytes > 0) b["request_bytes"] = p.request_bytes;
    if (p.queue_wait_limit_s > 0) b["queue_wait_limit_s"] = p.queue_wait_limit_s;
    return b;
  };
  AppliedParams a = ApplyTimeScale(c, time_scale);
  std::optional<int> nominal_linger, applied_linger;
  if (c.linger) {
    nominal_linger = c.linger->seconds;
    applied_linger = a.linger_s;
  }
  json out = {{"client", ClientKindName(c.client)},
              {"linger", c.linger ? json{{"socket", LingerSocketName(c.linger->socket)},
                                         {"seconds", c.linger->seconds}}
                                  : json(nullptr)},
              {"shutdown", ShutdownModeName(c.shutdown)},
              {"time_scale", time_scale},
              {"nominal", block(c.params, nominal_linger)},
              {"applied", block(a.params, applied_linger)}};
  if (c.scenario) out["scenario"] = c.scenario->name;
  if (variant != kVariantBlockingClose) out["variant"] = variant;
  return out;
}

}  // namespace lingerlab
