// Fault injection for an engine pool (config [faults], off by default): an operator's drill and
// the tests' way to make an engine miss its deadline or fail.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace auralis::devices {

struct EngineFaults {
  std::chrono::milliseconds delay{0};  // added before every render, on the pool's clock
  double failure_probability = 0;      // 0..1: the render throws
};

// Thread-safe holder so faults can be changed (or removed) while the pool runs.
class FaultSwitch {
 public:
  void set(const EngineFaults& faults);
  EngineFaults get() const;

 private:
  std::atomic<std::int64_t> delay_ms_{0};
  std::atomic<double> failure_probability_{0};
};

}  // namespace auralis::devices
