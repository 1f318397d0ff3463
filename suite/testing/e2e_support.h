// Support for the tests that drive the lingerlab binaries end to end
// (suite/cli/*_test.cc): run a program and read its exit code and output,
// start one in the background and interrupt or wait for it, read a results
// document (a case by id, a packet by direction and flag), list what a run
// left on this machine (namespaces, processes), and skip -- or, under
// LINGERLAB_REQUIRE_STACKS=1 (CI), fail -- a test whose machine lacks what
// it needs. One copy for every such test, tested in e2e_support_test.cc;
// what a single test file needs (a target's own leftovers) stays there.
//
// Ownership: a process started here is the caller's child, to be waited
// for or ended by its pid (InterruptAndWait, StopProcess in
// suite/targets/process.h); nothing here signals a process it was not
// handed, and nothing is ever found or ended by name.
//
// The binaries under test: lingerlab_e2e_test() (suite/testing/CMakeLists.txt)
// compiles their paths into each test as LINGERLAB_BIN, LINGERLAB_AGENT_PATH,
// LINGERLAB_LWIP_AGENT_PATH and LINGERLAB_SOURCE_DIR. RunLingerlab and
// RunBinary, at the end, exist where LINGERLAB_BIN does.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/base/clock.h"
#include "suite/targets/process.h"

namespace lingerlab {

// Bound for one run of a binary under test: a scaled run of a few cases
// takes seconds, a sanitizer build's several times more. Over it the run is
// killed by its pid and counts as failed (exit code -1).
constexpr int64_t kRunTimeoutNs = 300 * kNsPerSec;

// --- running programs --------------------------------------------------------

// Runs `program args...` (a path, or a name searched in PATH; no shell),
// stdin from /dev/null, and waits at most `timeout_ns`: then it is killed by
// its pid. exit_code is -1 when it was killed, died of a signal or could not
// start; output holds its stdout and stderr together.
CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         int64_t timeout_ns = kRunTimeoutNs);

// Starts `argv` (argv[0] a path or a name in PATH; no shell) in the
// background with stdout and stderr written to `log` (created or truncated;
// "/dev/null" drops them) and, if `cwd` is not empty, in that directory.
// Returns its pid, the caller's to wait for or stop, or -1 if fork failed.
// A child that cannot open `log` or enter `cwd` exits 126; one that cannot
// exec, 127.
pid_t StartProgram(const std::vector<std::string>& argv,
                   const std::filesystem::path& log = "/dev/null",
                   const std::filesystem::path& cwd = {});

// Waits for `pid` (a child of ours) to end: its exit code, -1 if a signal
// ended it or it was not ours to wait for.
int WaitExit(pid_t pid);

// Waits up to `timeout_ns` for `pid` (a child of ours) to end: its wait
// status, or nullopt while it still runs.
std::optional<int> WaitWithin(pid_t pid, int64_t timeout_ns);

// Ctrl-C by pid: sends SIGINT to `pid` (a child of ours) and waits up to
// `timeout_ns` for it to end. Its wait status; nullopt if it did not end in
// time, and then it has been SIGKILLed and reaped, so the caller only has
// to sweep what it left.
std::optional<int> InterruptAndWait(pid_t pid, int64_t timeout_ns);

// Calls `done` every `poll_ns` until it returns true (true) or `timeout_ns`
// has passed (false; `done` is called once more at the deadline).
bool WaitUntil(const std::function<bool()>& done, int64_t timeout_ns,
               int64_t poll_ns = 50 * kNsPerMs);

// --- files and results -------------------------------------------------------

// The file at `path` as it is now ("" if it cannot be read).
std::string ReadAll(const std::filesystem::path& path);

// <temp dir>/<name>-<our pid>, emptied if it was there and created again.
// The test removes it in its TearDown.
std::filesystem::path FreshDir(const std::string& name);

// A run id of this test process: `tag` + our pid modulo 100000 (at most
// tag's length + 5 characters), so parallel test processes never share
// namespaces, sandboxes or lock files.
std::string RunId(const std::string& tag);

// The case whose "id" is `id` in a results document, or nullptr (also when
// the document has no "cases" array).
const nlohmann::json* FindCase(const nlohmann::json& results, const std::string& id);

// Whether a case's "packets" hold one in direction `dir` ("c2s", "s2c")
// whose TCP flags include `flag` ('S', 'F', 'R', ...).
bool HasPacket(const nlohmann::json& packets, const std::string& dir, char flag);

// --- what a run left behind --------------------------------------------------

// The names in directory `dir` that begin with `prefix` (none if it cannot
// be read).
std::vector<std::string> DirEntriesWithPrefix(const std::string& dir, const std::string& prefix);

// Network namespaces in /run/netns (where `ip netns add` and the labs mount
// them) whose names begin with `prefix`; a run's are "ll-<run id>-...".
std::vector<std::string> Namespaces(const std::string& prefix);

// The pids of the processes whose command line (/proc/PID/cmdline: the
// arguments, each ended by a NUL byte) satisfies `match`. Processes that end
// while listed are left out; so is this process.
std::vector<pid_t> PidsWhoseCmdline(const std::function<bool(const std::string&)>& match);

// The pids of the processes running the executable at `path`
// (/proc/PID/exe against `path` made canonical).
std::vector<pid_t> PidsRunning(const std::filesystem::path& path);

// `items`, each followed by `separator`: a leftovers list for a message.
std::string Join(const std::vector<std::string>& items, const std::string& separator = "; ");

// --- what a test needs from the machine --------------------------------------

bool IsRoot();

// Whether LINGERLAB_REQUIRE_STACKS=1 (CI): a test of another TCP stack then
// fails where it would be skipped for want of its tools.
bool StacksRequired();

// For a fixture's SetUp: when `missing` (what the test needs, and how to get
// it) is not empty, skips the running test with "needs <missing>" -- or,
// when `required`, fails it -- and returns true; SetUp should return then
// (gtest runs no test body after either). Returns false when nothing is
// missing.
bool SkipOrFailWithout(const std::string& missing, bool required);

// SkipOrFailWithout("root (<why>)", required) unless we are root.
bool SkipUnlessRoot(const std::string& why, bool required = false);

// --- the lingerlab binary ----------------------------------------------------

#ifdef LINGERLAB_BIN
// `lingerlab ARGS`, as RunProgram runs it.
inline CommandResult RunLingerlab(const std::vector<std::string>& args,
                                  int64_t timeout_ns = kRunTimeoutNs) {
  return RunProgram(LINGERLAB_BIN, args, timeout_ns);
}

// `lingerlab ARGS`: its exit code (-1: killed, or did not start), and its
// stdout and stderr in *output when given.
inline int RunBinary(const std::vector<std::string>& args, std::string* output = nullptr,
                     int64_t timeout_ns = kRunTimeoutNs) {
  CommandResult r = RunLingerlab(args, timeout_ns);
  if (output) *output = r.output;
  return r.exit_code;
}
#endif

}  // namespace lingerlab
