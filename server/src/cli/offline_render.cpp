#include "cli/offline_render.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>

#include "auralis/devices/session_renderer.hpp"
#include "auralis/proto/ogg_opus_encoder.hpp"
#include "auralis/synthesis/engine.hpp"

namespace auralis::server {
namespace {

constexpr std::int64_t kRate = 48000;

// The output is written to a temporary file beside it and renamed into place once complete
// and on disk, so a failed, full or interrupted render never leaves a truncated file under
// the asked name (and an existing file stays as it was). Every write is checked.
class OutputFile {
 public:
  explicit OutputFile(const std::string& path) : path_(path) {
    // A symlink (dangling too) is written through: the link keeps pointing at the new file.
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path target = path;
    for (int hops = 0; hops < 40 && fs::is_symlink(target, ec); ++hops) {
      const fs::path link = fs::read_symlink(target, ec);
      target = link.is_absolute() ? link : target.parent_path() / link;
    }
    path_ = target.string();
    // An existing file must be a regular one (not a directory, device or pipe); the new one
    // gets its permissions.
    struct stat existing {};
    const bool replacing = ::stat(path_.c_str(), &existing) == 0;
    if (replacing && !S_ISREG(existing.st_mode))
      throw std::runtime_error("cannot write " + path + ": not a regular file");
    std::random_device rd;
    for (int attempt = 0; !file_; ++attempt) {
      temp_ = path_ + ".partial-" + std::to_string(rd());
      file_ = std::fopen(temp_.c_str(), "wbx");  // exclusive: never an existing file or link
      if (!file_ && (errno != EEXIST || attempt == 8)) fail(path);
    }
    if (replacing) ::fchmod(::fileno(file_), existing.st_mode & 07777);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {  // not committed: an error or an exception on the way
    if (file_) std::fclose(file_);
    if (!committed_) std::remove(temp_.c_str());
  }

  void write(const void* data, std::size_t bytes) {
    if (bytes > 0 && std::fwrite(data, 1, bytes, file_) != bytes) fail(path_);
  }
  void write_at(long offset, const void* data, std::size_t bytes) {
    if (std::fseek(file_, offset, SEEK_SET) != 0) fail(path_);
    write(data, bytes);
  }
  void commit() {
    if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) fail(path_);
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (closed != 0) fail(path_);
    std::error_code ec;
    std::filesystem::rename(temp_, path_, ec);
    if (ec) throw std::runtime_error("cannot write " + path_ + ": " + ec.message());
    committed_ = true;
    // The rename itself on disk too (best effort: some file systems refuse a directory fsync).
    const auto dir = std::filesystem::path(path_).parent_path();
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  }

 private:
  [[noreturn]] static void fail(const std::string& path) {
    const int error = errno;  // before anything below can change it
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
  }
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

// 32-bit float stereo WAV (WAVE_FORMAT_IEEE_FLOAT: an 18-byte fmt chunk and a fact chunk, as
// the format requires for non-PCM data). Sizes are patched in once the data is written.
class WavWriter {
 public:
  static constexpr std::size_t kHeaderBytes = 12 + (8 + 18) + (8 + 4) + 8;
  static constexpr std::int64_t kBytesPerFrame = 2 * 4;
  // RIFF sizes are 32-bit: the most frames a WAV file can hold.
  static constexpr std::int64_t kMaxFrames =
      (0xffffffffLL - static_cast<std::int64_t>(kHeaderBytes) + 8) / kBytesPerFrame;

  explicit WavWriter(const std::string& path) : out_(path) {
    out_.write(header(0).data(), kHeaderBytes);
  }
  void write(std::span<const float> interleaved) {
    out_.write(interleaved.data(), interleaved.size() * sizeof(float));
    frames_ += static_cast<std::int64_t>(interleaved.size() / 2);
  }
  void finish() {
    out_.write_at(0, header(frames_).data(), kHeaderBytes);
    out_.commit();
  }

 private:
  static std::array<std::uint8_t, kHeaderBytes> header(std::int64_t frames) {
    std::array<std::uint8_t, kHeaderBytes> h{};
    const auto data_bytes = static_cast<std::uint32_t>(frames * kBytesPerFrame);
    std::uint8_t* p = h.data();
    std::memcpy(p, "RIFF", 4);
    put_u32(p + 4, static_cast<std::uint32_t>(kHeaderBytes - 8) + data_bytes);
    std::memcpy(p + 8, "WAVEfmt ", 8);
    put_u32(p + 16, 18);
    put_u16(p + 20, 3);  // IEEE float
    put_u16(p + 22, 2);
    put_u32(p + 24, static_cast<std::uint32_t>(kRate));
    put_u32(p + 28, static_cast<std::uint32_t>(kRate * kBytesPerFrame));
    put_u16(p + 32, static_cast<std::uint16_t>(kBytesPerFrame));
    put_u16(p + 34, 32);
    put_u16(p + 36, 0);  // cbSize: no extension
    std::memcpy(p + 38, "fact", 4);
    put_u32(p + 42, 4);
    put_u32(p + 46, static_cast<std::uint32_t>(frames));
    std::memcpy(p + 50, "data", 4);
    put_u32(p + 54, data_bytes);
    return h;
  }
  OutputFile out_;
  std::int64_t frames_ = 0;
};

// Ogg Opus through the live stream's encoder and muxer. The serial number comes from the
// seed, so the same seed gives the same bytes; the end is trimmed to the frames written.
class OggWriter {
 public:
  OggWriter(const std::string& path, const config::Config& config)
      : out_(path), encoder_(settings(config)) {
    const auto& head = encoder_.header_pages();
    out_.write(head.data(), head.size());
  }
  void write(std::span<const float> interleaved) {
    pending_.insert(pending_.end(), interleaved.begin(), interleaved.end());
    frames_ += static_cast<std::int64_t>(interleaved.size() / 2);
    std::size_t used = 0;
    for (; used + kFrame <= pending_.size(); used += kFrame)
      encode({pending_.data() + used, kFrame});
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
  }
  // The encoder's look-ahead (pre-skip) holds back the last samples: zero frames push them
  // out, and the last packet's granule ends the stream exactly after the last frame written.
  void finish() {
    const std::int64_t end = frames_ + encoder_.pre_skip();
    pending_.resize(kFrame, 0.0f);
    while ((encoder_.packets_encoded() + 1) * proto::kOpusFrameSamples < end) {
      encode(pending_);
      std::fill(pending_.begin(), pending_.end(), 0.0f);
    }
    encode(pending_, end);
    out_.commit();
  }

 private:
  static constexpr std::size_t kFrame = proto::kOpusFrameSamples * 2;
  void encode(std::span<const float> frame, std::int64_t end_granule = -1) {
    const bool last = end_granule >= 0;
    if (auto page = encoder_.encode_frame(frame, last, end_granule))
      out_.write(page->bytes.data(), page->bytes.size());
  }
  static proto::EncoderSettings settings(const config::Config& config) {
    proto::EncoderSettings s;
    s.bitrate_bps = config.bitrate_kbps * 1000;
    s.complexity = config.complexity;
    s.packets_per_page = config.page_ms / 20;
    s.tags = {{"TITLE", config.stream_name}, {"ENCODER", "auralis"}};
    std::uint64_t x = config.session.seed + 0x9e3779b97f4a7c15ULL;  // splitmix64 finaliser
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    s.serial = static_cast<std::uint32_t>(x ^ (x >> 31)) | 1u;  // never 0 ("random")
    return s;
  }
  OutputFile out_;
  proto::OggOpusEncoder encoder_;
  std::vector<float> pending_;
  std::int64_t frames_ = 0;
};

}  // namespace

RenderSummary render_offline(const config::Config& config, double minutes,
                             const std::string& engine_name, const std::string& path) {
  const bool ogg = path.ends_with(".ogg") || path.ends_with(".opus");
  if (!ogg && !path.ends_with(".wav"))
    throw std::runtime_error("output must end in .wav, .ogg or .opus");
  const auto total_frames = static_cast<std::int64_t>(minutes * 60 * kRate);
  if (total_frames < 1) throw std::runtime_error("--minutes is shorter than one sample");
  if (!ogg && total_frames > WavWriter::kMaxFrames)
    throw std::runtime_error(
        "a WAV file holds at most " + std::to_string(WavWriter::kMaxFrames / (60 * kRate)) +
        " minutes of 48 kHz 32-bit float stereo; write .ogg for longer renders");
  auto engine = engine_name == "torch"
                    ? synthesis::make_torch_engine(config.device == "auto" ? "cpu" : config.device)
                    : synthesis::make_cpu_engine();
  std::unique_ptr<WavWriter> wav;
  std::unique_ptr<OggWriter> oggw;
  if (ogg)
    oggw = std::make_unique<OggWriter>(path, config);
  else
    wav = std::make_unique<WavWriter>(path);

  devices::SessionRenderer renderer(config.session);
  synthesis::Stems stems;
  std::int64_t written = 0;
  RenderSummary summary;
  summary.engine = std::string(engine->name()) + " on " + engine->device();
  const auto t0 = std::chrono::steady_clock::now();
  while (written < total_frames) {
    const auto phrase = renderer.render_next(*engine, stems);
    const std::int64_t n = std::min(phrase.frames(), total_frames - written);
    const std::span<const float> pcm(phrase.pcm.data(), static_cast<std::size_t>(n) * 2);
    if (oggw)
      oggw->write(pcm);
    else
      wav->write(pcm);
    written += n;
    ++summary.phrases;
  }
  if (oggw)
    oggw->finish();
  else
    wav->finish();
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.audio_seconds = static_cast<double>(written) / kRate;
  return summary;
}

}  // namespace auralis::server
