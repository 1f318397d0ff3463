// One case's timeline as an inline SVG (the HTML report's per-case figure).
//
// Two lanes, the server above and the client below, with each socket call a
// bar from its start to its return (a blocking close() is visibly long; its
// return value and errno are written beside it). Packets are vertical
// arrows between the lanes, coloured by kind (data, FIN, RST, SYN, window
// update, zero-window probe); pure ACKs are thinned where they would
// overlap. Packets and calls the classifier cites as evidence are ringed,
// and every mark has a <title> (hover text) with the details.
//
// The axis is piecewise linear: stretches of activity share the width
// (half by duration, half by how much happens in them, so a burst of
// handshake packets stays readable), and a silence longer than
// max(kMinCompressedGapS, kCompressedGapFraction of the case) is drawn as a
// fixed-width break, marked with a zigzag and its length ("+4.20 s") —
// compressed visibly, never hidden. Rendering cannot fail.
//
// Figures of one case in several runs share an axis (the second overload):
// built from every moment of all of them, so the same time is at the same
// x in each figure and a silence is compressed only where all are silent.
#pragma once

#include <string>
#include <vector>

#include "suite/report/case_timeline.h"

namespace lingerlab {

inline constexpr double kMinCompressedGapS = 1.0;
inline constexpr double kCompressedGapFraction = 0.2;

std::string RenderTimelineSvg(const CaseTimeline& timeline);
// `timeline` drawn on the axis of `axis_of` (which it is added to if absent).
std::string RenderTimelineSvg(const CaseTimeline& timeline,
                              const std::vector<const CaseTimeline*>& axis_of);

}  // namespace lingerlab
