#include "auralis/devices/faults.hpp"

namespace auralis::devices {

void FaultSwitch::set(const EngineFaults& faults) {
  delay_ms_ = faults.delay.count();
  failure_probability_ = faults.failure_probability;
}

EngineFaults FaultSwitch::get() const {
  return {std::chrono::milliseconds(delay_ms_.load()), failure_probability_.load()};
}

}  // namespace auralis::devices
