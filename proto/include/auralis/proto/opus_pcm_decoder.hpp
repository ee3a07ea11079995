// Decodes a session's own Opus packets back to PCM (libopus): a format encoder that starts
// late catches up from the session's recent packets instead of waiting for new audio.
#pragma once

#include <memory>
#include <span>
#include <vector>

namespace auralis::proto {

class OpusPcmDecoder {
 public:
  OpusPcmDecoder();  // 48 kHz stereo; throws std::runtime_error
  ~OpusPcmDecoder();
  OpusPcmDecoder(const OpusPcmDecoder&) = delete;
  OpusPcmDecoder& operator=(const OpusPcmDecoder&) = delete;
  OpusPcmDecoder(OpusPcmDecoder&&) noexcept;
  OpusPcmDecoder& operator=(OpusPcmDecoder&&) noexcept;

  // Appends the packet's interleaved stereo samples to `out`.
  void decode(std::span<const std::uint8_t> packet, std::vector<float>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace auralis::proto
