// Timestamps taken by agents and the coordinator.
//
// Every event carries two clocks: monotonic (for durations that must not jump)
// and realtime (to put agent events and pcap packets, which libpcap stamps
// with the realtime clock, on one axis).
#pragma once

#include <cstdint>

namespace lingerlab {

struct Timestamp {
  int64_t mono_ns = 0;
  int64_t real_ns = 0;
};

// Reads both clocks, monotonic first, as close together as the OS allows.
Timestamp Now();
int64_t MonotonicNs();
int64_t RealtimeNs();

// Sleeps for the given time; returns early only if the OS cannot sleep.
void SleepNs(int64_t ns);

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerSec = 1'000'000'000;

}  // namespace lingerlab
