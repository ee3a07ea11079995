#include "auralis/proto/ogg_opus_encoder.hpp"

#include <ogg/ogg.h>
#include <opus/opus.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <string>

namespace auralis::proto {
namespace {

void put_le16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

void put_le32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xff));
}

void put_bytes(std::vector<std::uint8_t>& out, const std::string& s) {
  out.insert(out.end(), s.begin(), s.end());
}

// RFC 7845 §5.1: the identification header.
std::vector<std::uint8_t> make_opus_head(int pre_skip) {
  std::vector<std::uint8_t> head;
  put_bytes(head, "OpusHead");
  head.push_back(1);  // version
  head.push_back(static_cast<std::uint8_t>(kOpusChannels));
  put_le16(head, static_cast<std::uint16_t>(pre_skip));
  put_le32(head, kOpusSampleRate);
  put_le16(head, 0);  // output gain
  head.push_back(0);  // channel mapping family 0: mono/stereo
  return head;
}

// RFC 7845 §5.2: the comment header.
std::vector<std::uint8_t> make_opus_tags(const EncoderSettings& settings) {
  std::vector<std::uint8_t> tags;
  put_bytes(tags, "OpusTags");
  const std::string vendor = opus_get_version_string();
  put_le32(tags, static_cast<std::uint32_t>(vendor.size()));
  put_bytes(tags, vendor);
  put_le32(tags, static_cast<std::uint32_t>(settings.tags.size()));
  for (const auto& [key, value] : settings.tags) {
    const std::string comment = key + "=" + value;
    put_le32(tags, static_cast<std::uint32_t>(comment.size()));
    put_bytes(tags, comment);
  }
  return tags;
}

std::uint32_t random_serial() {
  std::random_device rd;
  std::uint32_t serial = 0;
  while (serial == 0) serial = rd();
  return serial;
}

void append_page(const ogg_page& page, std::vector<std::uint8_t>& out) {
  out.insert(out.end(), page.header, page.header + page.header_len);
  out.insert(out.end(), page.body, page.body + page.body_len);
}

}  // namespace

std::span<const std::uint8_t> EncodedPage::packet(std::size_t i) const {
  std::size_t offset = body_offset;
  for (std::size_t k = 0; k < i; ++k) offset += packet_sizes[k];
  return {bytes.data() + offset, packet_sizes[i]};
}

struct OggOpusEncoder::Impl {
  OpusEncoder* opus = nullptr;
  ogg_stream_state ogg{};
  int packets_per_page = 2;
  std::int64_t packetno = 0;
  std::int64_t page_first_packet = 0;
  std::vector<std::uint16_t> pending_sizes;
  std::vector<unsigned char> packet_buffer = std::vector<unsigned char>(4000);

  ~Impl() {
    if (opus) opus_encoder_destroy(opus);
    ogg_stream_clear(&ogg);
  }
};

OggOpusEncoder::OggOpusEncoder(const EncoderSettings& settings) : impl_(std::make_unique<Impl>()) {
  if (settings.packets_per_page < 1 || settings.packets_per_page > 3)
    throw std::invalid_argument("packets_per_page must be 1..3 (20-60 ms pages)");
  if (settings.complexity < 0 || settings.complexity > 10)
    throw std::invalid_argument("opus complexity must be 0..10");
  if (settings.bitrate_bps < 6000 || settings.bitrate_bps > 510000)
    throw std::invalid_argument("opus bitrate must be 6000..510000 b/s");

  int err = OPUS_OK;
  impl_->opus = opus_encoder_create(kOpusSampleRate, kOpusChannels, OPUS_APPLICATION_AUDIO, &err);
  if (err != OPUS_OK)
    throw std::runtime_error(std::string("opus_encoder_create: ") + opus_strerror(err));
  opus_encoder_ctl(impl_->opus, OPUS_SET_BITRATE(settings.bitrate_bps));
  opus_encoder_ctl(impl_->opus, OPUS_SET_COMPLEXITY(settings.complexity));
  opus_encoder_ctl(impl_->opus, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
  opus_encoder_ctl(impl_->opus, OPUS_SET_VBR(1));
  opus_int32 lookahead = 0;
  opus_encoder_ctl(impl_->opus, OPUS_GET_LOOKAHEAD(&lookahead));
  pre_skip_ = lookahead;
  impl_->packets_per_page = settings.packets_per_page;

  serial_ = settings.serial != 0 ? settings.serial : random_serial();
  if (ogg_stream_init(&impl_->ogg, static_cast<int>(serial_)) != 0)
    throw std::runtime_error("ogg_stream_init failed");

  opus_head_ = make_opus_head(pre_skip_);
  std::vector<std::uint8_t> tags = make_opus_tags(settings);

  // Each header packet sits alone on its own page (RFC 7845 §3).
  ogg_packet head_packet{};
  head_packet.packet = opus_head_.data();
  head_packet.bytes = static_cast<long>(opus_head_.size());
  head_packet.b_o_s = 1;
  head_packet.packetno = impl_->packetno++;
  ogg_stream_packetin(&impl_->ogg, &head_packet);
  ogg_page page;
  while (ogg_stream_flush(&impl_->ogg, &page) != 0) append_page(page, header_pages_);

  ogg_packet tags_packet{};
  tags_packet.packet = tags.data();
  tags_packet.bytes = static_cast<long>(tags.size());
  tags_packet.packetno = impl_->packetno++;
  ogg_stream_packetin(&impl_->ogg, &tags_packet);
  while (ogg_stream_flush(&impl_->ogg, &page) != 0) append_page(page, header_pages_);
}

OggOpusEncoder::~OggOpusEncoder() = default;

PagePtr OggOpusEncoder::encode_frame(std::span<const float> interleaved, bool end_of_stream,
                                     std::int64_t end_granule) {
  if (interleaved.size() != static_cast<std::size_t>(kOpusFrameSamples * kOpusChannels))
    throw std::invalid_argument("encode_frame needs exactly 960 stereo frames");
  if (end_granule >= 0 && (!end_of_stream || end_granule <= packets_ * kOpusFrameSamples ||
                           end_granule > (packets_ + 1) * kOpusFrameSamples))
    throw std::invalid_argument("end_granule must lie inside the last (end-of-stream) packet");
  Impl& im = *impl_;
  const opus_int32 bytes =
      opus_encode_float(im.opus, interleaved.data(), kOpusFrameSamples, im.packet_buffer.data(),
                        static_cast<opus_int32>(im.packet_buffer.size()));
  if (bytes < 0)
    throw std::runtime_error(std::string("opus_encode_float: ") + opus_strerror(bytes));

  ++packets_;
  ogg_packet packet{};
  packet.packet = im.packet_buffer.data();
  packet.bytes = bytes;
  // Granule counts 48 kHz samples at the end of this packet, pre-skip included (RFC 7845 §4).
  packet.granulepos = end_granule >= 0 ? end_granule : packets_ * kOpusFrameSamples;
  packet.packetno = im.packetno++;
  packet.e_o_s = end_of_stream ? 1 : 0;
  ogg_stream_packetin(&im.ogg, &packet);
  im.pending_sizes.push_back(static_cast<std::uint16_t>(bytes));
  if (!end_of_stream && static_cast<int>(im.pending_sizes.size()) < im.packets_per_page)
    return nullptr;

  // Force the page out now: we decide page boundaries, never libogg's 4 KiB heuristic.
  auto out = std::make_shared<EncodedPage>();
  ogg_page page;
  if (ogg_stream_flush(&im.ogg, &page) == 0)
    throw std::runtime_error("ogg_stream_flush produced no page");
  out->bytes.reserve(static_cast<std::size_t>(page.header_len + page.body_len));
  append_page(page, out->bytes);
  out->body_offset = static_cast<std::size_t>(page.header_len);
  out->granule = ogg_page_granulepos(&page);
  out->page_sequence = static_cast<std::uint32_t>(ogg_page_pageno(&page));
  out->packet_sizes = std::move(im.pending_sizes);
  out->first_packet = packets_ - static_cast<std::int64_t>(out->packet_sizes.size());
  im.pending_sizes.clear();
  return out;
}

}  // namespace auralis::proto
