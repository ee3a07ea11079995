// An injectable clock: the real steady clock for the daemon, a manual one for tests so the
// scheduler and the pacer run faster than real time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace auralis::devices {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Blocks until now() >= t.
  virtual void sleep_until(time_point t) = 0;
  // Blocks until now() >= t or a stop is requested on `stop`; true when the time came.
  // (The default is not interruptible; both clocks below are.)
  virtual bool sleep_until(time_point t, std::stop_token stop);
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point t) override;
  bool sleep_until(time_point t, std::stop_token stop) override;
};

// Time moves only when advance()/set() is called; sleepers wake when their time comes.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_point start = time_point{} + std::chrono::hours(1)) : now_(start) {}
  time_point now() const override;
  void sleep_until(time_point t) override;
  bool sleep_until(time_point t, std::stop_token stop) override;
  void advance(duration d);
  void set(time_point t);
  int sleepers() const;  // threads blocked in sleep_until

 private:
  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  time_point now_;
  int sleepers_ = 0;
};

SteadyClock& steady_clock();

}  // namespace auralis::devices
