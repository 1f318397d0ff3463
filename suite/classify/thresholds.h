// Every threshold the classifier compares a case against, each a named and
// documented constant, and ClassifyThresholds: those constants plus the
// values derived from one case's applied parameters.
//
// Two kinds of time appear here. Times the kernel and the scheduler decide
// (how long a non-blocking close() takes, how fast a stack answers a
// segment, how far the agents' clocks may disagree with the capture's) do not
// change with --time-scale and are fixed. Times the suite controls (the
// SO_LINGER seconds, the EOF wait limit) are taken from the case's applied
// parameters, i.e. already scaled, and their tolerances are fractions of
// them with a fixed floor for scheduling noise.
//
// Building thresholds never fails: a parameter that is missing leaves the
// derived value unset (or 0 for the linger time), and the claims that need it
// are then left undecided by the classifier.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace lingerlab {

// close() that returns sooner than this did not block: an abort or a plain
// close costs microseconds; 50 ms covers a descheduled agent on a loaded
// 2-core host. Fixed: it measures scheduling, not a suite-controlled time.
inline constexpr double kImmediateCloseS = 0.05;

// How far an event time (the agent's clock plus its estimated offset) may
// disagree with a packet time (libpcap's stamp) in either direction. Local
// agents share the host clock; 5 ms leaves room for a remote agent's offset
// estimate without letting an ACK that came after close() returned count as
// having ended it.
inline constexpr double kClockSkewS = 0.005;

// A blocked close() whose return follows the ACK of the server's FIN by at
// most this much was ended by that ACK: wakeup plus return to user space.
inline constexpr double kPeerAckWindowS = 0.05;

// A close() that blocked at least this long without the FIN being
// acknowledged, and not for the linger time, returned at a timer of the
// stack's own (BSD's 120 s for SO_LINGER on a listening socket, Darwin's 0.2 s
// "ticks"). Between kImmediateCloseS and this it is scheduling noise: "other".
inline constexpr double kKernelTimeoutMinS = 0.1;

// A RST that leaves the server within this long after close() returned (or
// while it was blocked) was sent by close(). Linux sends it from within
// close() itself; 200 ms allows for a stack that defers it to a timer tick.
inline constexpr double kAbortDetectS = 0.2;

// A RST within this long of close()'s return (either side) was sent at the
// linger timeout (Windows aborts when its linger time expires).
inline constexpr double kRstAtTimeoutWindowS = 0.2;

// A server RST that follows a client segment by at most this much answers
// that segment (a stack that has forgotten the connection replies at once).
inline constexpr double kRstAnswerWindowS = 0.05;

// Server silence at least this long before such an answering RST is reported
// as "silence then RST" (the stack dropped the connection without a word and
// only the client's next segment revealed it). Fixed: orphan and keepalive
// timers are the kernel's; zero-window probes start 0.2 s apart.
inline constexpr double kSilenceMinGapS = 1.0;

// close() blocked for "the linger time" when at most kLingerToleranceMinS
// shorter and at most max(kLingerToleranceMinS, kLingerToleranceFraction *
// linger_s) longer. Asymmetric because kernel timers never fire early but may
// fire late: Linux's timer wheel batches long timeouts, up to 12.5% late (at
// HZ=250 a 20 s linger lands in 2.048 s buckets; measured 20.0-21.96 s).
// The fraction scales with the applied linger seconds; the floor covers
// scheduling, which does not scale.
// The one definition of these tolerances: the comparison with the expected
// tables (suite/expect/compare.h) uses them too.
inline constexpr double kLingerToleranceFraction = 0.125;
inline constexpr double kLingerToleranceMinS = 0.25;

// A kernel-constant time (BSD's 120 s linger block, Darwin's 0.2 s; compared
// only at time scale 1) may be this much early, and late by at most
// max(this, kLingerToleranceFraction * the constant): classic BSD's slow
// timeout runs every 500 ms, hence the larger floor.
inline constexpr double kKernelTimeToleranceMinS = 0.5;

// The EOF wait "ran to its limit" when it lasted within
// max(kEofLimitToleranceMinS, kEofLimitToleranceFraction * limit) of the
// applied limit. Used for evidence, not for a claim.
inline constexpr double kEofLimitToleranceFraction = 0.1;
inline constexpr double kEofLimitToleranceMinS = 0.1;

struct ClassifyThresholds {
  // Fixed (see the constants above).
  double immediate_s = kImmediateCloseS;
  // kClockSkewS plus clock_uncertainty_s (FromCase).
  double clock_skew_s = kClockSkewS;
  // Half the larger agent's clock round trip (agents.*.clock_rtt_ns): how far
  // its events may sit from where the clock offset puts them.
  double clock_uncertainty_s = 0;
  double peer_ack_window_s = kPeerAckWindowS;
  double kernel_timeout_min_s = kKernelTimeoutMinS;
  double abort_detect_s = kAbortDetectS;
  double rst_at_timeout_window_s = kRstAtTimeoutWindowS;
  double rst_answer_window_s = kRstAnswerWindowS;
  double silence_min_gap_s = kSilenceMinGapS;

  // From the case. time_scale is applied/nominal of the suite's own times
  // (1 when it cannot be derived).
  double time_scale = 1.0;
  // The applied SO_LINGER seconds; 0 when SO_LINGER is not set or is {on, 0}.
  double linger_s = 0;
  double linger_tolerance_s = kLingerToleranceMinS;
  // The applied EOF wait limit; unset when the wait has no limit.
  std::optional<double> eof_wait_limit_s;
  double eof_limit_tolerance_s = kEofLimitToleranceMinS;
  // What the server was to write; unset when the case does not say.
  std::optional<int64_t> payload_bytes;

  // Derives the case-dependent values from case_doc.parameters. `time_scale`
  // overrides the derived scale (the runner knows the run's --time-scale).
  static ClassifyThresholds FromCase(const nlohmann::json& case_doc,
                                     std::optional<double> time_scale = std::nullopt);

  // Every value, for the outcome's record of what it was judged against.
  nlohmann::json ToJson() const;
};

}  // namespace lingerlab
