#include "streaming/hls_segmenter.hpp"

namespace auralis::server {
namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

}  // namespace

HlsSegmenter::HlsSegmenter(HlsVariant variant, proto::MuxFormat format,
                           const proto::MuxStream& stream, std::string name_prefix,
                           std::string extension, std::int64_t segment_samples,
                           WallClock wall_clock, HlsStore& store)
    : variant_(variant),
      muxer_(format, stream),
      prefix_(std::move(name_prefix)),
      extension_(std::move(extension)),
      segment_samples_(segment_samples),
      wall_clock_(std::move(wall_clock)),
      store_(store) {}

void HlsSegmenter::add(std::span<const std::uint8_t> packet, std::int64_t pts,
                       std::int64_t duration) {
  const std::int64_t n = floor_div(pts, segment_samples_);
  const bool crossed = last_pts_ != INT64_MIN && n > floor_div(last_pts_, segment_samples_);
  last_pts_ = pts;
  if (open_ && crossed) finish(pts);
  if (!open_) {
    if (!crossed) return;  // mid-segment: wait for the next boundary
    open_ = true;
    segment_ = n;
    segment_start_ = pts;
  }
  muxer_.write(packet, pts + kTimestampOffset, duration);
}

void HlsSegmenter::finish(std::int64_t end_pts) {
  muxer_.flush();
  auto bytes = muxer_.take();
  HlsSegment s;
  s.sequence = static_cast<std::uint64_t>(segment_);
  s.duration_s = static_cast<double>(end_pts - segment_start_) / 48000.0;
  s.program_date_time = wall_clock_(segment_start_);
  s.name = prefix_ + std::to_string(segment_) + extension_;
  s.bytes = std::make_shared<const std::string>(bytes.begin(), bytes.end());
  store_.add(variant_, std::move(s));
  open_ = false;
}

}  // namespace auralis::server
