#include "sessions/catch_up_feed.hpp"

#include <algorithm>
#include <stdexcept>

namespace auralis::server {
namespace {
constexpr std::int64_t kPacket = proto::kOpusFrameSamples;
}

CatchUpFeed::CatchUpFeed(std::vector<proto::PagePtr> history, std::span<const float> last_frame,
                         std::int64_t live_from, std::int64_t from, int pre_skip)
    : history_(std::move(history)),
      live_begin_(live_from),
      live_from_(live_from),
      pre_skip_(pre_skip) {
  if (pre_skip_ < 0 || pre_skip_ > kPacket || last_frame.size() != 2 * kPacket)
    throw std::invalid_argument("CatchUpFeed: a 20 ms last frame and a pre-skip under 20 ms");
  splice_.assign(last_frame.end() - 2 * pre_skip_, last_frame.end());
  std::int64_t earliest = live_from;
  if (!history_.empty()) {
    const std::int64_t first_packet = history_.front()->first_packet;
    earliest = (first_packet + kWarmUpPackets) * kPacket - pre_skip_;
    decoded_begin_ = first_packet * kPacket - pre_skip_;
  }
  first_ = std::clamp(from, std::min(earliest, live_from), live_from);
  if (first_ < live_from - pre_skip_) decoder_.emplace();
  position_ = first_;
}

void CatchUpFeed::push_live(std::span<const float> frame) {
  live_.insert(live_.end(), frame.begin(), frame.end());
}

bool CatchUpFeed::decode_next() {
  while (page_ < history_.size() && packet_ >= history_[page_]->packet_sizes.size()) {
    ++page_;
    packet_ = 0;
  }
  if (page_ >= history_.size()) return false;
  decoder_->decode(history_[page_]->packet(packet_), decoded_);
  ++packet_;
  return true;
}

std::size_t CatchUpFeed::available() const {
  const std::int64_t end = live_begin_ + static_cast<std::int64_t>(live_.size() / 2);
  return static_cast<std::size_t>(end - position_);
}

std::size_t CatchUpFeed::pull(std::size_t max_frames, std::vector<float>& out) {
  std::size_t given = 0;
  while (given < max_frames) {
    const std::size_t want = max_frames - given;
    std::size_t n = 0;
    if (position_ < live_from_ - pre_skip_) {  // the past, decoded
      std::int64_t offset = position_ - decoded_begin_;
      while (offset >= static_cast<std::int64_t>(decoded_.size() / 2))
        if (!decode_next()) throw std::logic_error("CatchUpFeed: history ends before live_from");
      n = std::min({want, decoded_.size() / 2 - static_cast<std::size_t>(offset),
                    static_cast<std::size_t>(live_from_ - pre_skip_ - position_)});
      const auto* p = decoded_.data() + 2 * offset;
      out.insert(out.end(), p, p + 2 * n);
      // Drop what was given: the decoded buffer never holds more than a packet or two.
      const std::size_t used = static_cast<std::size_t>(offset) + n;
      decoded_.erase(decoded_.begin(), decoded_.begin() + static_cast<std::ptrdiff_t>(2 * used));
      decoded_begin_ += static_cast<std::int64_t>(used);
    } else if (position_ < live_from_) {  // the samples just before the live edge
      const std::int64_t offset = position_ - (live_from_ - pre_skip_);
      n = std::min(want, static_cast<std::size_t>(live_from_ - position_));
      const auto* p = splice_.data() + 2 * offset;
      out.insert(out.end(), p, p + 2 * n);
    } else {  // live
      const std::int64_t offset = position_ - live_begin_;
      n = std::min(want, live_.size() / 2 - static_cast<std::size_t>(offset));
      if (n == 0) break;
      const auto* p = live_.data() + 2 * offset;
      out.insert(out.end(), p, p + 2 * n);
      const std::size_t used = static_cast<std::size_t>(offset) + n;
      live_.erase(live_.begin(), live_.begin() + static_cast<std::ptrdiff_t>(2 * used));
      live_begin_ += static_cast<std::int64_t>(used);
    }
    position_ += static_cast<std::int64_t>(n);
    given += n;
  }
  if (position_ >= live_from_ && decoder_) {  // the past is done: free it
    decoder_.reset();
    history_.clear();
    decoded_.clear();
  }
  return given;
}

}  // namespace auralis::server
