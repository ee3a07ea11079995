#include "auralis/devices/clock.hpp"

#include <thread>

namespace auralis::devices {

bool Clock::sleep_until(time_point t, std::stop_token stop) {
  if (stop.stop_requested()) return false;
  sleep_until(t);
  return !stop.stop_requested();
}

void SteadyClock::sleep_until(time_point t) {
  std::this_thread::sleep_until(t);
}

bool SteadyClock::sleep_until(time_point t, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  // Nothing notifies cv but the stop request: the wait ends at t or on stop.
  cv.wait_until(lock, stop, t, [] { return false; });
  return !stop.stop_requested();
}

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

bool ManualClock::sleep_until(time_point t, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  ++sleepers_;
  const bool reached = changed_.wait(lock, stop, [&] { return now_ >= t; });
  --sleepers_;
  return reached;
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
