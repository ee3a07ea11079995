// When the audio waiting for an HTTP listener's write is due to go out (stream.http_write_ms):
// measured in audio, not in batches, since batches vary in length (whole pages or frames) and
// counting them would overshoot. The write goes out before one more batch like the newest
// would make the waiting audio outgrow the period, so no audio waits longer than the period
// from its publication to its write. The plain-HTTP fan-out times its passes with it, each
// HTTPS listener its writes.
#pragma once

#include <chrono>
#include <cstdint>

#include "streaming/stream_samples.hpp"

namespace auralis::server {

class WriteCadence {
 public:
  explicit WriteCadence(std::chrono::milliseconds period) { set_period(period); }

  void set_period(std::chrono::milliseconds period) {
    period_samples_ = static_cast<std::int64_t>(period.count()) * kSamplesPerMs;
  }
  std::chrono::milliseconds period() const {
    return std::chrono::milliseconds(period_samples_ / kSamplesPerMs);
  }

  // A batch of `samples` joined the waiting audio.
  void add(std::int64_t samples) {
    waiting_ += samples;
    newest_ = samples;
  }
  // A write took all the waiting audio.
  void clear() { waiting_ = newest_ = 0; }

  bool due() const { return waiting_ > 0 && waiting_ + newest_ > period_samples_; }
  std::int64_t waiting_samples() const { return waiting_; }

 private:
  std::int64_t period_samples_ = 0;
  std::int64_t waiting_ = 0;  // audio not yet written
  std::int64_t newest_ = 0;   // the newest batch's audio
};

}  // namespace auralis::server
