#include "auralis/proto/mp3_encoder.hpp"

#include <lame.h>

#include <array>
#include <stdexcept>
#include <string>

namespace auralis::proto {
namespace {

constexpr int kSampleRate = 48000;
constexpr std::array<int, 15> kMpeg1Bitrates = {0,   32,  40,  48,  56,  64,  80, 96,
                                                112, 128, 160, 192, 224, 256, 320};

bool valid_bitrate(int kbps) {
  for (int b : kMpeg1Bitrates)
    if (b != 0 && b == kbps) return true;
  return false;
}

}  // namespace

int mp3_frame_length(std::span<const std::uint8_t> h) {
  if (h.size() < 4 || h[0] != 0xff || (h[1] & 0xe0) != 0xe0) return 0;
  const int version = (h[1] >> 3) & 3;  // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const int layer = (h[1] >> 1) & 3;    // 1: Layer III
  const int bitrate_index = h[2] >> 4;
  const int rate_index = (h[2] >> 2) & 3;
  const int padding = (h[2] >> 1) & 1;
  if (version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3)
    return 0;
  static constexpr int kRates[3] = {44100, 48000, 32000};
  static constexpr int kMpeg2Bitrates[15] = {0,  8,  16, 24,  32,  40,  48, 56,
                                             64, 80, 96, 112, 128, 144, 160};
  int rate = kRates[rate_index];
  if (version == 2) rate /= 2;
  if (version == 0) rate /= 4;
  if (version == 3) return 144 * kMpeg1Bitrates[bitrate_index] * 1000 / rate + padding;
  return 72 * kMpeg2Bitrates[bitrate_index] * 1000 / rate + padding;
}

struct Mp3Encoder::Impl {
  lame_global_flags* lame = nullptr;
  std::vector<unsigned char> buffer;
  std::vector<std::uint8_t> carry;  // bytes of a frame LAME has not finished handing out
  ~Impl() {
    if (lame) lame_close(lame);
  }
};

Mp3Encoder::Mp3Encoder(const Mp3Settings& settings) : impl_(std::make_unique<Impl>()) {
  if (!valid_bitrate(settings.bitrate_kbps))
    throw std::invalid_argument(
        "MP3 bitrate must be an MPEG-1 Layer III bitrate (32..320 kb/s), got " +
        std::to_string(settings.bitrate_kbps));
  if (settings.quality < 0 || settings.quality > 9)
    throw std::invalid_argument("MP3 quality must be 0..9");
  impl_->lame = lame_init();
  if (!impl_->lame) throw std::runtime_error("lame_init failed");
  lame_global_flags* g = impl_->lame;
  lame_set_in_samplerate(g, kSampleRate);
  lame_set_out_samplerate(g, kSampleRate);
  lame_set_num_channels(g, 2);
  lame_set_mode(g, JOINT_STEREO);
  lame_set_VBR(g, vbr_off);
  lame_set_brate(g, settings.bitrate_kbps);
  lame_set_quality(g, settings.quality);
  lame_set_bWriteVbrTag(g, 0);       // no Xing/LAME tag frame: a stream has no length to state
  lame_set_disable_reservoir(g, 1);  // every frame decodable on its own (see the header)
  lame_set_strict_ISO(g, 1);
  if (lame_init_params(g) < 0) throw std::runtime_error("lame_init_params failed");
  frame_bytes_ = 144 * settings.bitrate_kbps * 1000 / kSampleRate;
  delay_ = lame_get_encoder_delay(g);
}

Mp3Encoder::~Mp3Encoder() = default;

int Mp3Encoder::encode(std::span<const float> interleaved, std::vector<std::uint8_t>& out) {
  Impl& im = *impl_;
  const int frames = static_cast<int>(interleaved.size() / 2);
  // LAME's documented worst case: 1.25 * samples + 7200.
  im.buffer.resize(static_cast<std::size_t>(frames) * 5 / 4 + 7200);
  const int n = lame_encode_buffer_interleaved_ieee_float(
      im.lame, interleaved.data(), frames, im.buffer.data(), static_cast<int>(im.buffer.size()));
  if (n < 0) throw std::runtime_error("lame_encode_buffer: error " + std::to_string(n));
  im.carry.insert(im.carry.end(), im.buffer.begin(), im.buffer.begin() + n);
  // Hand out whole frames only; anything else stays for the next call.
  int count = 0;
  std::size_t pos = 0;
  while (im.carry.size() - pos >= 4) {
    const int len = mp3_frame_length(std::span(im.carry).subspan(pos, 4));
    if (len == 0) throw std::runtime_error("LAME produced a byte stream without a frame header");
    if (im.carry.size() - pos < static_cast<std::size_t>(len)) break;
    out.insert(out.end(), im.carry.begin() + static_cast<std::ptrdiff_t>(pos),
               im.carry.begin() + static_cast<std::ptrdiff_t>(pos) + len);
    pos += static_cast<std::size_t>(len);
    ++count;
  }
  im.carry.erase(im.carry.begin(), im.carry.begin() + static_cast<std::ptrdiff_t>(pos));
  return count;
}

}  // namespace auralis::proto
