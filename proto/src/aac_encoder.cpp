#include "auralis/proto/aac_encoder.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
}

#include <stdexcept>
#include <string>

#include "av_error.hpp"

namespace auralis::proto {

struct AacEncoder::Impl {
  AVCodecContext* ctx = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  int filled = 0;             // samples of `frame` filled so far
  std::int64_t next_pts = 0;  // timeline position of the frame being filled

  ~Impl() {
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&ctx);
  }

  void drain(std::vector<AacPacket>& out) {
    for (;;) {
      const int err = avcodec_receive_packet(ctx, packet);
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
      check_av(err, "avcodec_receive_packet (aac)");
      out.push_back(
          {std::vector<std::uint8_t>(packet->data, packet->data + packet->size), packet->pts});
      av_packet_unref(packet);
    }
  }
};

AacEncoder::AacEncoder(const AacSettings& settings, std::int64_t first_sample)
    : impl_(std::make_unique<Impl>()) {
  quiet_ffmpeg_log();
  if (settings.bitrate_kbps < 32 || settings.bitrate_kbps > 320)
    throw std::invalid_argument("AAC bitrate must be 32..320 kb/s");
  const AVCodec* codec = avcodec_find_encoder_by_name("aac");
  if (!codec) throw std::runtime_error("libavcodec has no native AAC encoder");
  Impl& im = *impl_;
  im.ctx = avcodec_alloc_context3(codec);
  if (!im.ctx) throw std::runtime_error("avcodec_alloc_context3 failed");
  im.ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
  im.ctx->sample_rate = 48000;
  im.ctx->ch_layout = AVChannelLayout(AV_CHANNEL_LAYOUT_STEREO);
  im.ctx->bit_rate = settings.bitrate_kbps * 1000;
  im.ctx->profile = FF_PROFILE_AAC_LOW;
  im.ctx->time_base = AVRational{1, 48000};
  im.ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // the AudioSpecificConfig as extradata
  check_av(avcodec_open2(im.ctx, codec, nullptr), "avcodec_open2 (aac)");
  if (im.ctx->frame_size != kFrameSamples)
    throw std::runtime_error("the AAC encoder's frame size is not 1024");
  config_.assign(im.ctx->extradata, im.ctx->extradata + im.ctx->extradata_size);
  bitrate_bps_ = static_cast<int>(im.ctx->bit_rate);

  im.frame = av_frame_alloc();
  im.packet = av_packet_alloc();
  if (!im.frame || !im.packet) throw std::runtime_error("out of memory (aac)");
  im.frame->format = AV_SAMPLE_FMT_FLTP;
  im.frame->sample_rate = 48000;
  im.frame->nb_samples = kFrameSamples;
  check_av(av_channel_layout_copy(&im.frame->ch_layout, &im.ctx->ch_layout), "channel layout");
  check_av(av_frame_get_buffer(im.frame, 0), "av_frame_get_buffer (aac)");
  im.next_pts = first_sample;
}

AacEncoder::~AacEncoder() = default;

void AacEncoder::encode(std::span<const float> interleaved, std::vector<AacPacket>& out) {
  Impl& im = *impl_;
  const std::size_t frames = interleaved.size() / 2;
  std::size_t i = 0;
  while (i < frames) {
    if (im.filled == 0) check_av(av_frame_make_writable(im.frame), "av_frame_make_writable");
    auto* left = reinterpret_cast<float*>(im.frame->data[0]);
    auto* right = reinterpret_cast<float*>(im.frame->data[1]);
    const std::size_t n = std::min(frames - i, static_cast<std::size_t>(kFrameSamples - im.filled));
    for (std::size_t k = 0; k < n; ++k) {
      left[im.filled + static_cast<int>(k)] = interleaved[2 * (i + k)];
      right[im.filled + static_cast<int>(k)] = interleaved[2 * (i + k) + 1];
    }
    im.filled += static_cast<int>(n);
    i += n;
    if (im.filled < kFrameSamples) break;
    im.frame->pts = im.next_pts;
    im.next_pts += kFrameSamples;
    im.filled = 0;
    check_av(avcodec_send_frame(im.ctx, im.frame), "avcodec_send_frame (aac)");
    im.drain(out);
  }
}

}  // namespace auralis::proto
