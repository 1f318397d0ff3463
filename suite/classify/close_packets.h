// What the server's stack put on the wire for the close under test: a RST,
// a FIN of its own, or neither. The close-state matrix asks this of every
// TCP state, where the SO_LINGER matrix's abort_on_close ("a RST instead of
// a FIN") does not fit: in FIN_WAIT_1 a {1,0} close sends a RST after the
// FIN that shutdown() already sent.
//
//   rst_on_close  the server's first RST left between close()'s start (less
//                 the clock skew) and th.abort_detect_s after its return;
//                 false when the capture shows that window without one
//   fin_on_close  the first transmission of a server FIN lies in that window
//                 (a FIN sent before close(), by shutdown(), is no FIN of the
//                 close; its retransmissions neither); false as above
// Unset when there is no close under test or the capture cannot tell.
// Never fails.
#pragma once

#include <optional>

#include "suite/classify/analysis_context.h"
#include "suite/classify/close_analysis.h"

namespace lingerlab::classify {

struct ClosePackets {
  std::optional<bool> rst_on_close, fin_on_close;
};

ClosePackets AnalyzeClosePackets(const AnalysisContext& ctx,
                                 const std::optional<CloseFacts>& close);

}  // namespace lingerlab::classify
