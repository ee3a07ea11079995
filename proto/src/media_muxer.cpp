#include "auralis/proto/media_muxer.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
}

#include <cstring>
#include <stdexcept>

#include "av_error.hpp"

namespace auralis::proto {
namespace {

constexpr AVRational kSampleTime{1, 48000};
constexpr int kIoBufferSize = 4096;

const char* format_name(MuxFormat f) {
  switch (f) {
    case MuxFormat::adts:
      return "adts";
    case MuxFormat::mpegts:
      return "mpegts";
    case MuxFormat::fmp4:
      return "mp4";
  }
  return "";
}

}  // namespace

struct MemoryMuxer::Impl {
  MuxFormat format;
  AVFormatContext* ctx = nullptr;
  AVStream* stream = nullptr;
  AVPacket* packet = nullptr;
  std::vector<std::uint8_t> written;

  // FFmpeg 5.1's AVIO write callback type (a non-const buffer).
  static int on_write(void* opaque, std::uint8_t* buf, int size) {
    auto* self = static_cast<Impl*>(opaque);
    self->written.insert(self->written.end(), buf, buf + size);
    return size;
  }

  ~Impl() {
    av_packet_free(&packet);
    if (ctx) {
      if (ctx->pb) {
        av_freep(&ctx->pb->buffer);
        avio_context_free(&ctx->pb);
      }
      avformat_free_context(ctx);
    }
  }
};

MemoryMuxer::MemoryMuxer(MuxFormat format, const MuxStream& s) : impl_(std::make_unique<Impl>()) {
  quiet_ffmpeg_log();
  Impl& im = *impl_;
  im.format = format;
  check_av(avformat_alloc_output_context2(&im.ctx, nullptr, format_name(format), nullptr),
           "avformat_alloc_output_context2");
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  if (!buffer) throw std::runtime_error("out of memory (muxer)");
  im.ctx->pb = avio_alloc_context(buffer, kIoBufferSize, 1, &im, nullptr, &Impl::on_write, nullptr);
  if (!im.ctx->pb) {
    av_free(buffer);
    throw std::runtime_error("avio_alloc_context failed");
  }
  im.ctx->pb->seekable = 0;
  im.ctx->flags |= AVFMT_FLAG_BITEXACT;  // no encoder strings or creation times: the same input
                                         // always muxes to the same bytes
  im.ctx->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;  // Opus in MP4 (FFmpeg 5.1)
  // Timestamps stay the session's (never shifted to start at zero): every HLS variant and every
  // run of a segmenter share one timeline.
  im.ctx->avoid_negative_ts = AVFMT_AVOID_NEG_TS_DISABLED;

  im.stream = avformat_new_stream(im.ctx, nullptr);
  if (!im.stream) throw std::runtime_error("avformat_new_stream failed");
  AVCodecParameters* par = im.stream->codecpar;
  par->codec_type = AVMEDIA_TYPE_AUDIO;
  par->codec_id = s.codec == MuxCodec::aac ? AV_CODEC_ID_AAC : AV_CODEC_ID_OPUS;
  par->sample_rate = 48000;
  par->ch_layout = AVChannelLayout(AV_CHANNEL_LAYOUT_STEREO);
  par->bit_rate = s.bitrate_bps;
  par->frame_size = s.codec == MuxCodec::aac ? 1024 : 960;
  par->initial_padding = s.initial_padding;
  if (s.codec == MuxCodec::aac) par->profile = FF_PROFILE_AAC_LOW;
  if (!s.extradata.empty()) {
    par->extradata =
        static_cast<std::uint8_t*>(av_mallocz(s.extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!par->extradata) throw std::runtime_error("out of memory (muxer)");
    std::memcpy(par->extradata, s.extradata.data(), s.extradata.size());
    par->extradata_size = static_cast<int>(s.extradata.size());
  }
  im.stream->time_base = kSampleTime;

  AVDictionary* options = nullptr;
  if (format == MuxFormat::mpegts) {
    av_dict_set(&options, "mpegts_copyts", "1", 0);  // our timestamps as they are
    av_dict_set(&options, "mpegts_flags", "+resend_headers", 0);
    // The tables once per piece (flush() asks for them again), not every 100 ms; audio frames
    // gathered into PES packets of up to 0.35 s (ffmpeg's own default delay) instead of one
    // PES per 21 ms frame. Both cut the overhead of a 128 kb/s stream from ~65% to ~10%.
    av_dict_set(&options, "pat_period", "3600", 0);
    av_dict_set(&options, "sdt_period", "3600", 0);
    im.ctx->max_delay = 700000;
  } else if (format == MuxFormat::fmp4) {
    // An init segment now, then fragments only when we say (flush()); moof-relative offsets
    // as MSE players (hls.js) and CMAF want; the first fragment's decode time is its packets'
    // own (frag_discont), not zero.
    av_dict_set(&options, "movflags", "+frag_custom+empty_moov+default_base_moof+frag_discont", 0);
  }
  const int err = avformat_write_header(im.ctx, &options);
  av_dict_free(&options);
  check_av(err, "avformat_write_header");
  im.packet = av_packet_alloc();
  if (!im.packet) throw std::runtime_error("out of memory (muxer)");
  avio_flush(im.ctx->pb);
  header_ = std::move(im.written);
  im.written.clear();
}

MemoryMuxer::~MemoryMuxer() = default;

void MemoryMuxer::write(std::span<const std::uint8_t> data, std::int64_t pts,
                        std::int64_t duration) {
  Impl& im = *impl_;
  check_av(av_new_packet(im.packet, static_cast<int>(data.size())), "av_new_packet");
  std::memcpy(im.packet->data, data.data(), data.size());
  im.packet->pts = pts;
  im.packet->dts = pts;
  im.packet->duration = duration;
  im.packet->stream_index = 0;
  im.packet->flags |= AV_PKT_FLAG_KEY;
  av_packet_rescale_ts(im.packet, kSampleTime, im.stream->time_base);
  const int err = av_write_frame(im.ctx, im.packet);
  av_packet_unref(im.packet);
  check_av(err, "av_write_frame");
}

void MemoryMuxer::flush() {
  Impl& im = *impl_;
  check_av(av_write_frame(im.ctx, nullptr), "av_write_frame (flush)");
  if (im.format == MuxFormat::mpegts)  // the next piece starts with PAT and PMT again
    check_av(av_opt_set(im.ctx->priv_data, "mpegts_flags", "+resend_headers", 0), "mpegts_flags");
  avio_flush(im.ctx->pb);
}

std::vector<std::uint8_t> MemoryMuxer::take() {
  Impl& im = *impl_;
  avio_flush(im.ctx->pb);
  std::vector<std::uint8_t> out;
  out.swap(im.written);
  return out;
}

}  // namespace auralis::proto
