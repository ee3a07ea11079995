// Render counters shared by every session's scheduler (exported on /metrics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace auralis::devices {

// A fixed-bucket histogram of seconds (Prometheus style: cumulative on export).
class Histogram {
 public:
  static constexpr std::array<double, 10> kBounds = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,  0.5,  1,     2.5,  5};
  void observe(double seconds);
  struct Snapshot {
    std::array<std::uint64_t, kBounds.size() + 1> counts{};  // per bucket, last is +Inf
    std::uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  Snapshot data_;
};

struct RenderMetrics {
  // By engine name ("torch", "cpu", "silence").
  void count_phrase(const std::string& engine);
  std::map<std::string, std::uint64_t> phrases_by_engine() const;

  std::atomic<std::uint64_t> deadline_misses{0};
  std::atomic<std::uint64_t> fallbacks_to_cpu{0};
  std::atomic<std::uint64_t> silent_phrases{0};
  std::atomic<std::uint64_t> render_failures{0};
  std::atomic<std::uint64_t> underrun_frames{0};
  Histogram render_seconds;  // dry render per phrase (batch pass time)
  Histogram mix_seconds;     // effects and master per phrase

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> phrases_;
};

}  // namespace auralis::devices
