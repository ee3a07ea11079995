#include "offline_render.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "auralis/devices/session_renderer.hpp"
#include "auralis/proto/ogg_opus_encoder.hpp"
#include "auralis/synthesis/engine.hpp"

namespace auralis::server {
namespace {

void put_u32(std::ofstream& out, std::uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); }
void put_u16(std::ofstream& out, std::uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); }

// A 32-bit float WAV (format 3); sizes are patched in at the end.
class WavWriter {
 public:
  explicit WavWriter(const std::string& path) : out_(path, std::ios::binary) {
    if (!out_) throw std::runtime_error("cannot write " + path);
    out_.write("RIFF\0\0\0\0WAVEfmt ", 16);
    put_u32(out_, 16);
    put_u16(out_, 3);  // IEEE float
    put_u16(out_, 2);
    put_u32(out_, 48000);
    put_u32(out_, 48000 * 2 * 4);
    put_u16(out_, 2 * 4);
    put_u16(out_, 32);
    out_.write("data\0\0\0\0", 8);
  }
  void write(std::span<const float> interleaved) {
    out_.write(reinterpret_cast<const char*>(interleaved.data()),
               static_cast<std::streamsize>(interleaved.size() * sizeof(float)));
    bytes_ += interleaved.size() * sizeof(float);
  }
  ~WavWriter() {
    out_.seekp(4);
    put_u32(out_, static_cast<std::uint32_t>(36 + bytes_));
    out_.seekp(40);
    put_u32(out_, static_cast<std::uint32_t>(bytes_));
  }

 private:
  std::ofstream out_;
  std::size_t bytes_ = 0;
};

class OggWriter {
 public:
  OggWriter(const std::string& path, const config::Config& config)
      : out_(path, std::ios::binary), encoder_(settings(config)) {
    if (!out_) throw std::runtime_error("cannot write " + path);
    const auto& head = encoder_.header_pages();
    out_.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
  }
  void write(std::span<const float> interleaved) {
    pending_.insert(pending_.end(), interleaved.begin(), interleaved.end());
    std::size_t used = 0;
    for (; used + kFrame <= pending_.size(); used += kFrame) encode({pending_.data() + used, kFrame}, false);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
  }
  // The last (zero-padded) frame carries EOS so players and opusinfo see a finished file.
  ~OggWriter() {
    pending_.resize(kFrame, 0.0f);
    encode(pending_, true);
  }

 private:
  static constexpr std::size_t kFrame = proto::kOpusFrameSamples * 2;
  void encode(std::span<const float> frame, bool last) {
    if (auto page = encoder_.encode_frame(frame, last))
      out_.write(reinterpret_cast<const char*>(page->bytes.data()), static_cast<std::streamsize>(page->bytes.size()));
  }
  static proto::EncoderSettings settings(const config::Config& config) {
    proto::EncoderSettings s;
    s.bitrate_bps = config.bitrate_kbps * 1000;
    s.complexity = config.complexity;
    s.packets_per_page = config.page_ms / 20;
    s.tags = {{"TITLE", config.stream_name}, {"ENCODER", "auralis"}};
    return s;
  }
  std::ofstream out_;
  proto::OggOpusEncoder encoder_;
  std::vector<float> pending_;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

RenderSummary render_offline(const config::Config& config, double minutes, const std::string& engine_name,
                             const std::string& path) {
  const bool ogg = ends_with(path, ".ogg") || ends_with(path, ".opus");
  if (!ogg && !ends_with(path, ".wav")) throw std::runtime_error("output must end in .wav, .ogg or .opus");
  auto engine = engine_name == "torch"
                    ? synthesis::make_torch_engine(config.device == "auto" ? "cpu" : config.device)
                    : synthesis::make_cpu_engine();
  std::unique_ptr<WavWriter> wav;
  std::unique_ptr<OggWriter> oggw;
  if (ogg) oggw = std::make_unique<OggWriter>(path, config);
  else wav = std::make_unique<WavWriter>(path);

  devices::SessionRenderer renderer(config.session);
  synthesis::Stems stems;
  const auto total_frames = static_cast<std::int64_t>(minutes * 60 * 48000);
  std::int64_t written = 0;
  RenderSummary summary;
  summary.engine = std::string(engine->name()) + " on " + engine->device();
  const auto t0 = std::chrono::steady_clock::now();
  while (written < total_frames) {
    const auto phrase = renderer.render_next(*engine, stems);
    const std::int64_t n = std::min(phrase.frames(), total_frames - written);
    const std::span<const float> pcm(phrase.pcm.data(), static_cast<std::size_t>(n) * 2);
    if (oggw) oggw->write(pcm);
    else wav->write(pcm);
    written += n;
    ++summary.phrases;
  }
  summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.audio_seconds = static_cast<double>(written) / 48000;
  return summary;
}

}  // namespace auralis::server
