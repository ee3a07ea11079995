// The PCM a format encoder consumes when it starts while the session plays: first the recent
// past, decoded from the session's own Opus packets (so a new MP3 listener gets a burst and a
// first HLS client a full playlist at once), then the session's live PCM, joined sample-exactly:
// Opus packet j decodes to timeline samples [960 j - pre_skip, 960 (j + 1) - pre_skip), the
// pre_skip samples just before the live edge come from the last live frame itself, and from
// the live edge on the encoder gets the original PCM (never a second generation).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "auralis/proto/ogg_opus_encoder.hpp"
#include "auralis/proto/opus_pcm_decoder.hpp"

namespace auralis::server {

class CatchUpFeed {
 public:
  // The decoder starts this many packets before the first sample it gives out: a decoder
  // started mid-stream needs a few packets to settle (energy prediction, overlap).
  static constexpr int kWarmUpPackets = 5;

  // `history`: the session's recent pages, oldest first, whose packets end exactly at
  // `live_from` (the timeline position of the next live frame, a multiple of 960);
  // `last_frame`: the live frame just before it (interleaved stereo, 960 frames); `from`: the
  // earliest position wanted (the feed starts there, or as early as the history allows).
  CatchUpFeed(std::vector<proto::PagePtr> history, std::span<const float> last_frame,
              std::int64_t live_from, std::int64_t from, int pre_skip);

  // Where the feed starts on the session's timeline.
  std::int64_t first_sample() const { return first_; }
  // The next position pull() gives.
  std::int64_t position() const { return position_; }
  // Live frames from live_from on, in order.
  void push_live(std::span<const float> frame);
  // Appends up to `max_frames` frames (interleaved stereo) to `out`; returns how many.
  std::size_t pull(std::size_t max_frames, std::vector<float>& out);
  // Frames that pull() could give now.
  std::size_t available() const;

 private:
  bool decode_next();  // one more packet of history into decoded_; false when none is left

  std::vector<proto::PagePtr> history_;
  std::size_t page_ = 0, packet_ = 0;  // the next packet to decode
  std::optional<proto::OpusPcmDecoder> decoder_;
  std::vector<float> decoded_;  // decoded samples from decoded_begin_ on
  std::int64_t decoded_begin_ = 0;
  std::vector<float> splice_;  // the last pre_skip samples before live_from, as played
  std::vector<float> live_;    // live samples from live_begin_ on
  std::int64_t live_begin_ = 0;
  std::int64_t live_from_;
  int pre_skip_;
  std::int64_t first_ = 0;
  std::int64_t position_ = 0;
};

}  // namespace auralis::server
