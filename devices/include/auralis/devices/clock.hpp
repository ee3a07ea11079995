// An injectable clock: the real steady clock for the daemon, a manual one for tests so the
// scheduler and the pacer run faster than real time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace auralis::devices {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Blocks until now() >= t (or `interrupted` is set and the clock is poked).
  virtual void sleep_until(time_point t) = 0;
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  void sleep_until(time_point t) override;
};

// Time moves only when advance()/set() is called; sleepers wake when their time comes.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_point start = time_point{} + std::chrono::hours(1)) : now_(start) {}
  time_point now() const override;
  void sleep_until(time_point t) override;
  void advance(duration d);
  void set(time_point t);
  int sleepers() const;  // threads blocked in sleep_until

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  time_point now_;
  int sleepers_ = 0;
};

SteadyClock& steady_clock();

}  // namespace auralis::devices
