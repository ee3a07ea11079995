#include "auralis/devices/clock.hpp"

#include <thread>

namespace auralis::devices {

void SteadyClock::sleep_until(time_point t) { std::this_thread::sleep_until(t); }

Clock::time_point ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void ManualClock::sleep_until(time_point t) {
  std::unique_lock lock(mutex_);
  ++sleepers_;
  changed_.wait(lock, [&] { return now_ >= t; });
  --sleepers_;
}

void ManualClock::advance(duration d) {
  {
    std::lock_guard lock(mutex_);
    now_ += d;
  }
  changed_.notify_all();
}

void ManualClock::set(time_point t) {
  {
    std::lock_guard lock(mutex_);
    now_ = t;
  }
  changed_.notify_all();
}

int ManualClock::sleepers() const {
  std::lock_guard lock(mutex_);
  return sleepers_;
}

SteadyClock& steady_clock() {
  static SteadyClock clock;
  return clock;
}

}  // namespace auralis::devices
