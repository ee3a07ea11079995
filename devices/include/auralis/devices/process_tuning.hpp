// Process-wide settings every program that renders live audio needs (the daemon, and the
// benches that stand in for it), applied once at the start of main().
#pragma once

namespace auralis::devices {

// Phrase buffers (tens of MB) are allocated and freed all day: glibc is told to keep freed
// memory in the heap instead of returning it with munmap, since fresh pages fault expensively
// and unmapping takes a lock every thread's page faults wait on (docs/performance.md). LibTorch's
// OpenMP threads are told to sleep between operations instead of spinning on the cores the
// pacers and the network need; an operator's own OMP_WAIT_POLICY wins.
void tune_process_for_live_rendering();

}  // namespace auralis::devices
