// The test matrix: which cases exist and with what parameters. Matrices are
// data (matrix/*.json, format "lingerlab-matrix/1", doc/matrix-format.md) and
// the only place a case is defined: expected tables are validated against
// the matrix they name, and reports take their rows from it. This file loads
// and validates matrices and applies --time-scale.
//
// A case's name is derived from its parameters and must match the name in
// the file, so a matrix cannot say one thing and test another. Every field's
// type and every number's range is checked before it is read; a bad file is
// kInvalidInput naming the file and the field, never an exception.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/base/result.h"
#include "suite/matrix/scenario.h"

namespace lingerlab {

enum class ClientKind { kIdle, kSlow, kFast };
enum class LingerSocket { kListening, kConnected, kConnectedLate };  // lsock, csock, csock_late
enum class ShutdownMode { kNone, kWaitEof, kWaitEofLimited };        // "", shutdown, shutdown-10

struct LingerSetting {
  LingerSocket socket = LingerSocket::kConnected;
  int seconds = 0;
};

// Sizes, the port, and every time the suite controls (seconds, nominal).
struct CaseParams {
  int payload_bytes = 0;
  int server_sndbuf = 0;
  int client_rcvbuf = 0;
  int read_chunk = 0;
  int port = 0;
  double server_pause_s = 0;
  double read_interval_s = 0;   // slow client's sleep after each read
  double idle_s = 0;            // idle client's sleep before reading
  double eof_wait_limit_s = 0;  // shutdown-10's bound on the EOF wait
  double settle_s = 0;          // capture keeps running this long after both sides finish
  int request_bytes = 0;            // what a client sends before reading (0: nothing)
  double queue_wait_limit_s = 0;    // bound on a wait for the send queue to empty
};

struct MatrixCase {
  std::string id;
  std::string name;
  ClientKind client = ClientKind::kFast;
  std::optional<LingerSetting> linger;
  ShutdownMode shutdown = ShutdownMode::kNone;
  CaseParams params;  // defaults merged with the case's overrides
  std::string description;                   // optional: what the case shows, one sentence
  std::shared_ptr<const Scenario> scenario;  // the steps it runs; null when the file has none (then it cannot run)
};

// Run-time variants of every case (`lingerlab run --close-mode`): the
// scenario's steps test the "variant" attribute.
inline constexpr const char* kVariantBlockingClose = "blocking-close";
inline constexpr const char* kVariantNonblockingClose = "nonblocking-close";

// Which cases the article's two summary tables are built from ("summary_tables"
// in the matrix file; suite/expect/article_tables.h renders them). Every id is
// a case of the same matrix.
struct SummaryTableCases {
  // {on,0}: abort on close(), listening / connected socket, without and after shutdown().
  std::vector<std::string> on_zero_listening, on_zero_connected;
  std::vector<std::string> on_zero_listening_after_shutdown, on_zero_connected_after_shutdown;
  // {on,20}: the cases without shutdown() and the ones after it (the "*").
  std::vector<std::string> on_twenty, on_twenty_after_shutdown;
};

struct Matrix {
  std::string path;
  std::string name;
  std::string title;
  std::string source;
  std::vector<MatrixCase> cases;
  std::optional<SummaryTableCases> summary_tables;  // absent: no article tables
  std::map<std::string, std::shared_ptr<const Scenario>> scenarios;
  // The directory of this matrix's expected tables ("expected" in the file,
  // relative to the file; default: expected/ beside it).
  std::string expected_dir;

  // nullptr when the matrix has no case `id`.
  const MatrixCase* Find(const std::string& id) const;
};

// Bounds on ids and names: long enough for any real matrix, short enough for
// one line of a message.
inline constexpr size_t kMaxCaseIdLength = 16;
inline constexpr size_t kMaxCaseNameLength = 128;

// The attributes a scenario step's "when" tests, for case `c` under `variant`.
std::map<std::string, std::string> CaseAttributes(const MatrixCase& c, const std::string& variant);

// Loads and validates a matrix file (through LoadJsonFile: bounded size and
// depth). Errors are kInvalidInput (or kNotFound for a missing file) and name
// the file and the offending field.
Result<Matrix> LoadMatrix(const std::string& path);
Result<Matrix> ParseMatrix(const nlohmann::json& doc, const std::string& origin);

// "slow-client__linger-csock_late-20__shutdown-10": the name the parameters imply.
std::string DerivedCaseName(const MatrixCase& c);

// The cases a --cases selection names (case_selection.cc); all when empty.
// Items are separated by commas and/or spaces ("03, 04" is two items), each:
//   an id ("03") or a full case name;
//   a range of ids, both ends included, in matrix order ("03-10");
//   a glob over ids and names ("*lsock*", "0?"; fnmatch rules).
// Cases come in the order they are first named, each once. An item that
// names no case is a kInvalidInput error quoting it, with the closest id or
// name when one is a likely typo, else the known ids.
Result<std::vector<MatrixCase>> SelectCases(const Matrix& m, const std::string& ids);

// The parameters a run actually uses at `time_scale`.
// Times the suite controls are multiplied by the scale. Linger seconds are
// rounded up to an integer >= 1 unless 0 (SO_LINGER takes whole seconds).
// The settle time has a floor (kSettleFloorS): kernel retransmission timers
// (RTO >= 200 ms) do not scale, and settle exists to catch their packets.
struct AppliedParams {
  CaseParams params;
  int linger_s = 0;
};
constexpr double kSettleFloorS = 1.0;
AppliedParams ApplyTimeScale(const MatrixCase& c, double time_scale);

// The case's "parameters" block in the results (doc/results-format.md).
// `variant` is recorded only when it is not the default blocking close.
nlohmann::json ParametersJson(const MatrixCase& c, double time_scale,
                              const std::string& variant = kVariantBlockingClose);

const char* ClientKindName(ClientKind k);
const char* LingerSocketName(LingerSocket s);
const char* ShutdownModeName(ShutdownMode m);

}  // namespace lingerlab
