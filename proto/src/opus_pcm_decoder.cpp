#include "auralis/proto/opus_pcm_decoder.hpp"

#include <opus/opus.h>

#include <stdexcept>
#include <string>

namespace auralis::proto {

struct OpusPcmDecoder::Impl {
  OpusDecoder* opus = nullptr;
  ~Impl() {
    if (opus) opus_decoder_destroy(opus);
  }
};

OpusPcmDecoder::OpusPcmDecoder() : impl_(std::make_unique<Impl>()) {
  int err = OPUS_OK;
  impl_->opus = opus_decoder_create(48000, 2, &err);
  if (err != OPUS_OK)
    throw std::runtime_error(std::string("opus_decoder_create: ") + opus_strerror(err));
}

OpusPcmDecoder::~OpusPcmDecoder() = default;
OpusPcmDecoder::OpusPcmDecoder(OpusPcmDecoder&&) noexcept = default;
OpusPcmDecoder& OpusPcmDecoder::operator=(OpusPcmDecoder&&) noexcept = default;

void OpusPcmDecoder::decode(std::span<const std::uint8_t> packet, std::vector<float>& out) {
  constexpr int kMaxFrames = 5760;  // 120 ms, the longest Opus packet
  const std::size_t at = out.size();
  out.resize(at + 2 * kMaxFrames);
  const int n =
      opus_decode_float(impl_->opus, packet.data(), static_cast<opus_int32>(packet.size()),
                        out.data() + at, kMaxFrames, 0);
  if (n < 0) {
    out.resize(at);
    throw std::runtime_error(std::string("opus_decode_float: ") + opus_strerror(n));
  }
  out.resize(at + 2 * static_cast<std::size_t>(n));
}

}  // namespace auralis::proto
