#include "suite/coordinator/matrix.h"

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace lingerlab {
namespace {

using nlohmann::json;

Error Bad(const std::string& origin, const std::string& where, const std::string& what) {
  return MakeError(ErrorCode::kInvalidInput, origin + ": " + where + ": " + what);
}

// Reads one parameter, if present in `obj`, into `out` with range checks.
template <typename T>
Status ReadParam(const json& obj, const char* key, T* out, double min, double max,
                 const std::string& origin, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if (!it->is_number() || (std::is_integral_v<T> && !it->is_number_integer()))
    return Bad(origin, where + "." + key,
               std::is_integral_v<T> ? "must be an integer" : "must be a number");
  double v = it->get<double>();
  if (v < min || v > max)
    return Bad(origin, where + "." + key,
               "must be between " + json(min).dump() + " and " + json(max).dump());
  *out = static_cast<T>(v);
  return Status::Ok();
}

Status ReadParams(const json& obj, CaseParams* p, const std::string& origin,
                  const std::string& where) {
  if (!obj.is_object()) return Bad(origin, where, "must be an object");
  static const std::set<std::string> known = {
      "payload_bytes",  "server_sndbuf",   "client_rcvbuf", "read_chunk",       "port",
      "server_pause_s", "read_interval_s", "idle_s",        "eof_wait_limit_s", "settle_s"};
  for (auto& [k, v] : obj.items())
    if (!known.count(k)) return Bad(origin, where + "." + k, "unknown parameter");
  const double day = 86400;
  for (Status s : {ReadParam(obj, "payload_bytes", &p->payload_bytes, 0, 1 << 30, origin, where),
                   ReadParam(obj, "server_sndbuf", &p->server_sndbuf, 0, 1 << 30, origin, where),
                   ReadParam(obj, "client_rcvbuf", &p->client_rcvbuf, 0, 1 << 30, origin, where),
                   ReadParam(obj, "read_chunk", &p->read_chunk, 1, 1 << 20, origin, where),
                   ReadParam(obj, "port", &p->port, 1, 65535, origin, where),
                   ReadParam(obj, "server_pause_s", &p->server_pause_s, 0, day, origin, where),
                   ReadParam(obj, "read_interval_s", &p->read_interval_s, 0, day, origin, where),
                   ReadParam(obj, "idle_s", &p->idle_s, 0, day, origin, where),
                   ReadParam(obj, "eof_wait_limit_s", &p->eof_wait_limit_s, 0, day, origin, where),
                   ReadParam(obj, "settle_s", &p->settle_s, 0, day, origin, where)})
    if (!s.ok()) return s;
  return Status::Ok();
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
  if (!doc.is_object()) return Bad(origin, "top level", "must be an object");
  if (doc.value("format", "") != "lingerlab-matrix/1")
    return Bad(origin, "format", "must be \"lingerlab-matrix/1\"");
  Matrix m;
  m.path = origin;
  m.name = doc.value("name", "");
  m.title = doc.value("title", m.name);
  m.source = doc.value("source", "");
  if (m.name.empty()) return Bad(origin, "name", "is required");
  CaseParams defaults;
  if (doc.contains("defaults")) {
    Status s = ReadParams(doc["defaults"], &defaults, origin, "defaults");
    if (!s.ok()) return s.error();
  }
  if (!doc.contains("cases") || !doc["cases"].is_array() || doc["cases"].empty())
    return Bad(origin, "cases", "must be a non-empty array");
  static const std::regex id_re("[A-Za-z]*[0-9]{2,}");
  std::set<std::string> seen;
  for (size_t i = 0; i < doc["cases"].size(); ++i) {
    const json& j = doc["cases"][i];
    std::string where = "cases[" + std::to_string(i) + "]";
    if (!j.is_object()) return Bad(origin, where, "must be an object");
    MatrixCase c;
    c.id = j.value("id", "");
    if (!std::regex_match(c.id, id_re))
      return Bad(origin, where + ".id", "must be two or more digits, optionally after a prefix");
    where = "case " + c.id;
    if (!seen.insert(c.id).second) return Bad(origin, where, "duplicate id");
    c.name = j.value("name", "");
    std::string client = j.value("client", "");
    if (client == "idle")
      c.client = ClientKind::kIdle;
    else if (client == "slow")
      c.client = ClientKind::kSlow;
    else if (client == "fast")
      c.client = ClientKind::kFast;
    else
      return Bad(origin, where + ".client", "must be idle, slow or fast");
    if (j.contains("linger") && !j["linger"].is_null()) {
      const json& l = j["linger"];
      if (!l.is_object()) return Bad(origin, where + ".linger", "must be an object or null");
      LingerSetting ls;
      std::string sock = l.value("socket", "");
      if (sock == "lsock")
        ls.socket = LingerSocket::kListening;
      else if (sock == "csock")
        ls.socket = LingerSocket::kConnected;
      else if (sock == "csock_late")
        ls.socket = LingerSocket::kConnectedLate;
      else
        return Bad(origin, where + ".linger.socket", "must be lsock, csock or csock_late");
      if (!l.contains("seconds") || !l["seconds"].is_number_integer() ||
          l["seconds"].get<int>() < 0 || l["seconds"].get<int>() > 3600)
        return Bad(origin, where + ".linger.seconds", "must be an integer 0..3600");
      ls.seconds = l["seconds"].get<int>();
      c.linger = ls;
    }
    std::string sd = j.value("shutdown", "none");
    if (sd == "none")
      c.shutdown = ShutdownMode::kNone;
    else if (sd == "wait_eof")
      c.shutdown = ShutdownMode::kWaitEof;
    else if (sd == "wait_eof_limited")
      c.shutdown = ShutdownMode::kWaitEofLimited;
    else
      return Bad(origin, where + ".shutdown", "must be none, wait_eof or wait_eof_limited");
    if (c.linger && c.linger->socket == LingerSocket::kConnectedLate &&
        c.shutdown == ShutdownMode::kNone)
      return Bad(origin, where + ".linger", "csock_late needs a shutdown mode");
    c.params = defaults;
    if (j.contains("overrides")) {
      Status s = ReadParams(j["overrides"], &c.params, origin, where + ".overrides");
      if (!s.ok()) return s.error();
    }
    if (c.params.payload_bytes <= 0 || c.params.read_chunk <= 0 || c.params.port <= 0)
      return Bad(origin, where, "payload_bytes, read_chunk and port must be set (defaults?)");
    std::string derived = DerivedCaseName(c);
    if (c.name != derived)
      return Bad(origin, where + ".name",
                 "is \"" + c.name + "\" but the parameters say \"" + derived + "\"");
    m.cases.push_back(std::move(c));
  }
  return m;
}

Result<Matrix> LoadMatrix(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(ErrorCode::kNotFound, path + ": cannot open matrix file");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    return MakeError(ErrorCode::kInvalidInput, path + ": not valid JSON: " + e.what());
  }
  return ParseMatrix(doc, path);
}

Result<std::vector<MatrixCase>> SelectCases(const Matrix& m, const std::string& ids) {
  if (ids.empty()) return m.cases;
  std::vector<MatrixCase> out;
  std::stringstream ss(ids);
  std::string id;
  while (std::getline(ss, id, ',')) {
    if (id.empty()) continue;
    auto it = std::find_if(m.cases.begin(), m.cases.end(),
                           [&](const MatrixCase& c) { return c.id == id; });
    if (it == m.cases.end()) {
      std::string known;
      for (auto& c : m.cases) known += (known.empty() ? "" : ",") + c.id;
      return MakeError(ErrorCode::kInvalidInput,
                       "no case '" + id + "' in " + m.path + " (known: " + known + ")");
    }
    if (std::find_if(out.begin(), out.end(), [&](auto& c) { return c.id == id; }) == out.end())
      out.push_back(*it);
  }
  if (out.empty()) return MakeError(ErrorCode::kInvalidInput, "--cases selected no case");
  return out;
}

AppliedParams ApplyTimeScale(const MatrixCase& c, double s) {
  AppliedParams a;
  a.params = c.params;
  a.params.server_pause_s *= s;
  a.params.read_interval_s *= s;
  a.params.idle_s *= s;
  a.params.eof_wait_limit_s *= s;
  a.params.settle_s = std::max(c.params.settle_s * s, std::min(kSettleFloorS, c.params.settle_s));
  if (c.linger)
    a.linger_s = c.linger->seconds == 0
                     ? 0
                     : std::max(1, static_cast<int>(std::ceil(c.linger->seconds * s - 1e-9)));
  return a;
}

json ParametersJson(const MatrixCase& c, double time_scale) {
  auto block = [&](const CaseParams& p, std::optional<int> linger_s) {
    return json{
        {"payload_bytes", p.payload_bytes},
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
  };
  AppliedParams a = ApplyTimeScale(c, time_scale);
  std::optional<int> nominal_linger, applied_linger;
  if (c.linger) {
    nominal_linger = c.linger->seconds;
    applied_linger = a.linger_s;
  }
  return {{"client", ClientKindName(c.client)},
          {"linger", c.linger ? json{{"socket", LingerSocketName(c.linger->socket)},
                                     {"seconds", c.linger->seconds}}
                              : json(nullptr)},
          {"shutdown", ShutdownModeName(c.shutdown)},
          {"time_scale", time_scale},
          {"nominal", block(c.params, nominal_linger)},
          {"applied", block(a.params, applied_linger)}};
}

}  // namespace lingerlab
