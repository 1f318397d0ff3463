// The classifier: derives the outcome of one case from its events and
// packets (doc/results-format.md, "Outcome"), never from close()'s return
// value alone — close() returns 0 on Linux whatever happened; the packets say
// whether a RST or a FIN left, and when.
//
// The outcome object (suite/classify/README.md has the full description):
//   complete   false when the case is too incomplete to classify fully
//              (status "error", no close() of csock, no client read, no
//              packets, a shutdown case without its EOF wait, a csock_late
//              case without its late setsockopt); then "reason" says why
//              (null when complete) and only the claims that could still be
//              decided are present.
//   notes      what was odd but not fatal (dropped packets, malformed entries).
//   thresholds every threshold used (thresholds.h).
//   close                  {ret, errno, errno_value, t_start, t_end, blocked_s,
//                           ended_by, fin_acked_at_return, evidence}
//   abort_on_close         {value, rst_t, rst_packet, fin_before_rst,
//                           unsent_discarded, bytes_written,
//                           bytes_sent_before_rst, bytes_acked_before_rst,
//                           outq_before_close, evidence}
//   linger_timeout         {rst_at_timeout, rst_t, rst_packet, ewouldblock,
//                           unsent_discarded, evidence}; only when SO_LINGER
//                           seconds > 0 and close() ended by the linger timeout
//   rst_after_clean_close  {value, clean_close_t, clean_close_packet, rst_t,
//                           rst_packet, evidence}
//   idle_abort             {value, kind, phase, rst_t, rst_packet, gap_s,
//                           answered_packet, evidence}
//   late_setsockopt        {ret, errno, errno_value, t}; csock_late only
//   eof_wait               {end, errno, bytes, waited_s, limit_s, ran_to_limit,
//                           eof_before_limit}; shutdown cases only
//   client                 {bytes, verified, first_mismatch, verified_bytes,
//                           end, errno, data_lost, t_end}
//   evidence   every evidence entry, {for, t (relative to close() start),
//              t_case, what, packet}
//   claims     the flat map of the claims vocabulary; a claim that cannot be
//              decided, or does not apply to the case, is absent.
//              stack_fault comes from the case's own "stack_fault" (where
//              an agent is the stack): "none", "exited_in_<op>" or
//              "hung_in_<op>"; a fault is the first part of "reason", and
//              the fault's event is not read (case_view.h).
// Detail objects that do not apply to the case are absent; a detail whose
// conclusion could not be decided has "value": null. Times "*_t" inside
// details are relative to close() start (null without a close()).
//
// Never throws and never fails: a malformed case yields complete: false.
#pragma once

#include <nlohmann/json.hpp>

#include "suite/classify/thresholds.h"

namespace lingerlab {

// Classifies with thresholds derived from the case (ClassifyThresholds::FromCase).
nlohmann::json ClassifyCase(const nlohmann::json& case_doc);

// Classifies with the given thresholds (the runner passes the run's time scale;
// tests pass edited ones).
nlohmann::json ClassifyCase(const nlohmann::json& case_doc, const ClassifyThresholds& thresholds);

}  // namespace lingerlab
