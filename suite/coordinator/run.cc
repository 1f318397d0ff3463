#include "suite/coordinator/run.h"

#include <sys/resource.h>

#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include <spdlog/spdlog.h>

#include "agents/base/clock.h"
#include "agents/platform/host_platform.h"
#include "suite/coordinator/agent_client.h"
#include "suite/coordinator/case_runner.h"
#include "suite/coordinator/results_writer.h"

namespace lingerlab {

using nlohmann::json;

std::string IsoTimeUtc(int64_t real_ns) {
  time_t secs = static_cast<time_t>(real_ns / kNsPerSec);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &t);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>((real_ns / kNsPerMs) % 1000));
  return out;
}

namespace {

// The document of a case that produced none of its own: interrupted before
// it started, or lost to an internal error.
json ErrorCaseDoc(const MatrixCase& c, int repetition, double time_scale,
                  const std::string& error) {
  json doc = {{"id", c.id},
              {"name", c.name},
              {"parameters", ParametersJson(c, time_scale)},
              {"status", "error"},
              {"error", error},
              {"warnings", json::array()},
              {"duration_s", 0.0},
              {"events", {{"server", json::array()}, {"client", json::array()}}},
              {"packets", json::array()}};
  if (repetition > 0) doc["repetition"] = repetition;
  return doc;
}

// environment.agents from a case document: what its agents said.
json AgentsOfCase(const json& d) {
  if (!d.contains("agents") || !d["agents"].is_object()) return nullptr;
  json out = json::object();
  for (const char* role : {"server", "client"}) {
    const json& a = d["agents"].value(role, json());
    if (!a.is_object()) return nullptr;
    out[role] = {{"platform", a.value("platform", json())},
                 {"version", a.value("version", json())},
                 {"endpoint", d.contains("hosts") && d["hosts"].is_object()
                                  ? d["hosts"].value(role, json()).value("agent", json())
                                  : json()}};
  }
  return out;
}

constexpr int kProbeClockSamples = 5;

}  // namespace

namespace {

// Provisions a lab of `target`, reaches each of its agents (server, then
// client: connected, authenticated, hello) and calls `with` for it; stops at
// the first failure (`with` gets the agent's hello). The lab is torn down
// either way.
Status WithEachAgent(
    Target& target, const std::string& lab_name,
    const std::function<Status(Role, const HostInfo&, AgentClient&, const json&)>& with) {
  auto lab = target.Provision(lab_name, 0);
  if (!lab.ok()) return lab.error();
  Status failed;
  for (Role role : {Role::kServer, Role::kClient}) {
    auto proc = (*lab)->StartAgent(role);
    if (!proc.ok()) {
      failed = proc.status();
      break;
    }
    const HostInfo& host = (*lab)->host(role);
    const std::string label =
        std::string(RoleName(role)) + " agent " +
        (host.agent_endpoint.empty() ? std::string("(local)") : host.agent_endpoint);
    AgentClient agent(std::move(proc->control), label);
    auto hello = agent.Handshake(role);
    failed = hello.ok() ? with(role, host, agent, *hello) : hello.status();
    if (!failed.ok()) break;
  }
  Status down = (*lab)->Teardown(0);
  return failed.ok() ? down : failed;
}

}  // namespace

Result<json> ProbeAgents(Target& target) {
  json out = json::object();
  Status s = WithEachAgent(target, "probe",
                           [&](Role role, const HostInfo& host, AgentClient& a, const json& hello) {
                             auto off = a.EstimateClockOffset(kProbeClockSamples);
                             if (!off.ok()) return off.status();
                             a.Bye();
                             out[RoleName(role)] = {{"endpoint", host.agent_endpoint},
                                                    {"platform", hello.value("platform", json())},
                                                    {"version", hello.value("agent", json())},
                                                    {"clock_offset_ns", off->offset_ns},
                                                    {"clock_rtt_ns", off->rtt_ns}};
                             return Status::Ok();
                           });
  if (!s.ok()) return s.error();
  return out;
}

Status ReleaseAgents(Target& target) {
  return WithEachAgent(target, "release", [](Role, const HostInfo&, AgentClient& a, const json&) {
    a.Bye(/*release=*/true);
    return Status::Ok();
  });
}

Result<std::string> CaseDocPath(const std::string& out_dir, const MatrixCase& c, int repetition) {
  return PathInside(out_dir, "cases/" + CaseStem(c, repetition) + ".json");
}

std::vector<RunItem> ExpandRepetitions(const std::vector<MatrixCase>& cases, int repeat) {
  std::vector<RunItem> items;
  for (const MatrixCase& c : cases) {
    if (repeat <= 1) {
      items.push_back({&c, 0});
      continue;
    }
    for (int k = 1; k <= repeat; ++k) items.push_back({&c, k});
  }
  return items;
}

void SummarizeResults(json& results) {
  json s = {{"cases", results["cases"].size()}, {"completed", 0}, {"error", 0}};
  for (const json& c : results["cases"]) {
    std::string st = c.value("status", "error");
    s[st] = s.value(st, 0) + 1;
    if (c.contains("warnings") && c["warnings"].is_array() && !c["warnings"].empty())
      s["warnings"] = s.value("warnings", 0) + 1;  // cases with warnings; absent when none
    if (c.contains("verdict")) {
      std::string v = c["verdict"].value("status", "");
      if (!v.empty() && v != "error") s[v] = s.value(v, 0) + 1;  // already counted as status
    }
  }
  results["summary"] = s;
}

size_t DefaultJobs(size_t cases) {
  rlimit rl{};
  size_t by_descriptors = SIZE_MAX;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    by_descriptors = rl.rlim_cur > 64 ? (rl.rlim_cur - 64) / kDescriptorsPerCase : 1;
  return std::max<size_t>(1, std::min(cases, by_descriptors));
}

int DefaultSetupSlots() {
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

json RunMatrix(const std::vector<MatrixCase>& cases, Target& target, const RunOptions& options,
               std::atomic<bool>& cancelled) {
  const int64_t started_real = RealtimeNs();
  const int64_t started_mono = MonotonicNs();
  const std::vector<RunItem> items = ExpandRepetitions(cases, options.repeat);
  std::vector<json> docs(items.size());
  // Cases are claimed, and set up through the gate, longest budget first:
  // with 340 cases queueing for two set-up slots, a long case set up last
  // would end the run late, while a short one set up last costs little.
  // Documents stay in `items` order, and a case's addresses (its slot) too.
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  {
    std::vector<double> budget;
    for (const RunItem& item : items)
      budget.push_back(CaseBudgetSeconds(*item.c, ApplyTimeScale(*item.c, options.time_scale)));
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return budget[a] > budget[b]; });
  }
  std::mutex mu;
  std::map<size_t, CaseLab*> live_labs;  // for killing agents on interruption
  SetupGate setup_gate(options.setup_slots > 0 ? options.setup_slots : DefaultSetupSlots());
  size_t next = 0;

  auto worker = [&] {
    for (;;) {
      size_t i, place;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (next >= items.size() || cancelled.load()) return;
        place = next++;
        i = order[place];
      }
      const MatrixCase& c = *items[i].c;
      const int repetition = items[i].repetition;
      // "04" or "04 (repetition 3)" in log lines.
      const std::string label =
          repetition > 0 ? c.id + " (repetition " + std::to_string(repetition) + ")" : c.id;
      CaseContext ctx;
      ctx.target = &target;
      ctx.slot = static_cast<int>(i);
      ctx.repetition = repetition;
      ctx.time_scale = options.time_scale;
      ctx.case_timeout_s = options.case_timeout_s;
      ctx.out_dir = options.out_dir;
      ctx.matrix_path = options.matrix_path;
      ctx.variant = options.variant;
      ctx.cancelled = &cancelled;
      ctx.setup_gate = &setup_gate;
      ctx.setup_order = static_cast<int64_t>(place);
      ctx.on_settle = options.on_settle;
      ctx.on_lab = [&, i](CaseLab* lab) {
        std::lock_guard<std::mutex> lock(mu);
        if (lab)
          live_labs[i] = lab;
        else
          live_labs.erase(i);
      };
      spdlog::info("case {} {}: started", label, c.name);
      if (options.on_progress)
        options.on_progress({CaseProgress::kStarted, c.id, false, repetition});
      json doc;
      try {
        doc = RunCase(c, ctx);
      } catch (const std::exception& e) {
        // Last resort: RunCase handles agent input itself; a bug here must
        // cost one case, not the run and its results file.
        doc = ErrorCaseDoc(c, repetition, options.time_scale,
                           std::string("internal error: ") + e.what());
      }
      if (options.post_process) options.post_process(doc);
      // The verdict as soon as the case has one (post_process analysed it).
      const std::string verdict =
          doc.contains("verdict") && doc["verdict"].is_object() &&
                  doc["verdict"].value("status", json()).is_string()
              ? ", " + doc["verdict"]["status"].get<std::string>()
              : "";
      spdlog::info("case {}: {}{} in {:.2f} s{}{}", label, doc["status"].get<std::string>(),
                   doc["status"] == "error" ? "" : verdict, doc["duration_s"].get<double>(),
                   doc["error"].is_string() ? " (" + doc["error"].get<std::string>() + ")" : "",
                   doc.value("warnings", json::array()).empty()
                       ? ""
                       : " with " + std::to_string(doc["warnings"].size()) + " warning(s)");
      if (options.on_progress) {
        const bool failed = doc.value("status", "") != "completed" ||
                            (doc.contains("verdict") && doc["verdict"].is_object() &&
                             doc["verdict"].value("status", "") == "deviation");
        options.on_progress({CaseProgress::kFinished, c.id, failed, repetition});
      }
      if (!options.out_dir.empty()) {
        auto path = CaseDocPath(options.out_dir, c, repetition);
        if (Status s = path.ok() ? WriteJsonAtomically(*path, doc) : path.status(); !s.ok())
          spdlog::error("case {}: cannot keep its result: {}", label, s.message());
      }
      std::lock_guard<std::mutex> lock(mu);
      docs[i] = std::move(doc);
    }
  };

  const size_t jobs =
      options.jobs > 0 ? std::min<size_t>(options.jobs, items.size()) : DefaultJobs(items.size());
  std::vector<std::thread> threads;
  for (size_t j = 0; j < jobs; ++j) threads.emplace_back(worker);

  // Watch for interruption until every worker has finished: kill the agents
  // of every live case so blocked steps return and each case tears itself
  // down. (Claimed cases may not have provisioned their lab yet; on_lab
  // kills agents of labs that appear after the interruption.)
  std::atomic<bool> workers_done{false};
  // Repeated while cancelled, so an agent started just after one pass is
  // caught by the next. Safe: a lab only signals pids it has not reaped.
  std::thread watcher([&] {
    while (!workers_done.load()) {
      if (cancelled.load()) {
        std::lock_guard<std::mutex> lock(mu);
        for (auto& [i, lab] : live_labs) lab->KillAgents();
      }
      SleepNs(20 * kNsPerMs);
    }
  });
  for (auto& t : threads) t.join();
  workers_done = true;
  watcher.join();

  json out_cases = json::array();
  json agent_platform = nullptr;
  json agents = options.probed_agents;
  for (size_t i = 0; i < items.size(); ++i) {
    json& d = docs[i];
    if (d.is_null())
      d = ErrorCaseDoc(*items[i].c, items[i].repetition, options.time_scale,
                       "interrupted before it started");
    if (agents.is_null()) agents = AgentsOfCase(d);
    out_cases.push_back(std::move(d));
  }
  // The platform under test is the server agent's (its family picks the
  // expected table), whatever machine the coordinator runs on.
  if (agents.is_object() && agents.contains("server") && agents["server"].is_object())
    agent_platform = agents["server"].value("platform", json());
  const int64_t finished_real = RealtimeNs();
  json env = {{"host", DescribeHostPlatform()},
              {"agent_platform", agent_platform},
              {"agents", agents},
              {"target", target.Name()},
              {"stack", target.Stack()},
              {"ip", target.IpVersion()},
              {"lingerlab", {{"version", options.version}, {"commit", options.commit}}},
              {"time_scale", options.time_scale},
              {"jobs", jobs},
              {"setup_slots", options.setup_slots > 0 ? options.setup_slots : DefaultSetupSlots()},
              {"matrix", options.matrix_path},
              {"interrupted", cancelled.load()},
              {"started_at", IsoTimeUtc(started_real)},
              {"finished_at", IsoTimeUtc(finished_real)},
              {"wall_s", static_cast<double>(MonotonicNs() - started_mono) / 1e9}};
  if (options.repeat > 1) env["repeat"] = options.repeat;  // absent: 1 (doc/results-format.md)
  json results = {{"format", "lingerlab-results/1"},
                  {"environment", env},
                  {"summary", nullptr},  // keeps the documented key order
                  {"cases", nullptr}};
  // Moved, not copied in the initializer list: the case documents are most
  // of a run's memory (340 of them in a --repeat 10 run).
  results["cases"] = std::move(out_cases);
  SummarizeResults(results);
  return results;
}

}  // namespace lingerlab
