#include "auralis/analysis/listener.hpp"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "auralis/analysis/power_spectrum.hpp"

namespace auralis::analysis {
namespace {

constexpr double kRate = 48000;
constexpr std::size_t kFrame = 4800;     // 100 ms
constexpr std::size_t kFft = 8192;       // 5.9 Hz bins
constexpr std::size_t kLongFft = 16384;  // 2.9 Hz: semitones down to ~MIDI 33
constexpr double kSilentPower = 1e-7;    // mean square of the frame: below ~-70 dBFS

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double db(double power) {
  return 10.0 * std::log10(std::max(power, 1e-20));
}

// Power of a band [lo, hi) Hz from a power spectrum: whole bins inside, or (narrower than a
// bin) the power at its centre, interpolated.
double band_power(const std::vector<double>& p, double bin_hz, double lo, double hi) {
  const double a = lo / bin_hz, b = hi / bin_hz;
  const auto first = static_cast<std::size_t>(std::ceil(a));
  const auto last = static_cast<std::size_t>(std::floor(b));
  if (last >= first + 1 && last < p.size()) {
    double sum = 0;
    for (std::size_t k = first; k < last; ++k) sum += p[k];
    return sum;
  }
  const double c = 0.5 * (a + b);
  const auto k = static_cast<std::size_t>(c);
  if (k + 1 >= p.size()) return 0;
  const double x = c - static_cast<double>(k);
  return ((1 - x) * p[k] + x * p[k + 1]) * (b - a);
}

}  // namespace

struct Listener::State {
  ListenSettings settings;
  ebur128_state* loud = nullptr;
  PowerSpectrum spectrum{kFft};
  PowerSpectrum long_spectrum{kLongFft};
  std::vector<float> mono;    // samples not yet framed, and the long window's history
  std::vector<double> power;  // scratch
  std::int64_t frames = 0;    // audio frames added
  std::size_t pending = 0;    // samples since the last frame
  std::int64_t analysed = 0;  // 100 ms frames analysed
  double total = 0, low = 0, high = 0;
  std::vector<double> centroid;  // per frame (< 0: silent)
  std::vector<double> short_term;
  std::vector<double> hf_db;  // 2-8 kHz level per frame
  std::vector<std::int64_t> joins;
  std::vector<float> spectrogram, semitones;
  std::int64_t semitone_first = -1;
  double max_short_term = -HUGE_VAL;

  void frame(const float* x, const float* history_start, std::size_t history);
};

void Listener::State::frame(const float* x, const float* history_start, std::size_t history) {
  spectrum.compute(std::span<const float>(x, kFrame), power);
  const double bin = spectrum.bin_hz(kRate);
  double sum = 0, weighted = 0, below = 0, above = 0, band = 0;
  for (std::size_t k = 1; k < power.size(); ++k) {
    const double f = static_cast<double>(k) * bin;
    sum += power[k];
    weighted += f * power[k];
    if (f < 150) below += power[k];
    if (f >= 2000) above += power[k];
    if (f >= 2000 && f < 8000) band += power[k];
  }
  double ms = 0;
  for (std::size_t i = 0; i < kFrame; ++i) ms += static_cast<double>(x[i]) * x[i];
  ms /= kFrame;
  const bool silent = ms < kSilentPower;
  centroid.push_back(silent ? -1 : weighted / std::max(sum, 1e-30));
  total += sum;
  low += below;
  high += above;
  hf_db.push_back(db(band / kFft));
  double st = -HUGE_VAL;
  if (analysed >= 29 && ebur128_loudness_shortterm(loud, &st) == EBUR128_SUCCESS &&
      std::isfinite(st)) {
    max_short_term = std::max(max_short_term, st);
  }
  short_term.push_back(st);

  if (settings.spectrogram) {
    const double ratio = std::pow(kHighHz / kLowHz, 1.0 / kBands);
    double lo = kLowHz;
    for (int b = 0; b < kBands; ++b) {
      const double hi = lo * ratio;
      spectrogram.push_back(static_cast<float>(db(band_power(power, bin, lo, hi) / kFft)));
      lo = hi;
    }
  }
  const double t = static_cast<double>(analysed) * kFrameS;
  if (t >= settings.semitone_from_s && t < settings.semitone_to_s && history >= kLongFft) {
    if (semitone_first < 0) semitone_first = analysed;
    // The long window ends where this frame ends.
    long_spectrum.compute(std::span<const float>(history_start + history - kLongFft, kLongFft),
                          power);
    const double long_bin = long_spectrum.bin_hz(kRate);
    for (int m = kLowMidi; m <= kHighMidi; ++m) {
      const double f = 440.0 * std::exp2((m - 69) / 12.0);
      const double p =
          band_power(power, long_bin, f * std::exp2(-1.0 / 24), f * std::exp2(1.0 / 24));
      semitones.push_back(static_cast<float>(db(p / kLongFft)));
    }
  }
  ++analysed;
}

Listener::Listener(ListenSettings settings) : s_(std::make_unique<State>()) {
  s_->settings = settings;
  s_->loud =
      ebur128_init(2, static_cast<unsigned long>(kRate),
                   EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_S | EBUR128_MODE_TRUE_PEAK);
  if (!s_->loud) throw std::runtime_error("Listener: libebur128 init failed");
}

Listener::~Listener() {
  if (s_ && s_->loud) ebur128_destroy(&s_->loud);
}
Listener::Listener(Listener&&) noexcept = default;
Listener& Listener::operator=(Listener&&) noexcept = default;

void Listener::add(std::span<const float> interleaved) {
  State& s = *s_;
  const std::size_t n = interleaved.size() / 2;
  // The loudness meter is fed up to each frame's end before the frame is analysed, so the
  // short-term loudness read there is that of the 3 s ending with it.
  std::size_t fed = 0;
  // Mono (mid) samples; frames of 100 ms; the long transform looks back over the kept history.
  const bool keep_history = s.settings.semitone_to_s > s.settings.semitone_from_s;
  const std::size_t history = keep_history ? kLongFft : kFrame;
  for (std::size_t i = 0; i < n; ++i) {
    s.mono.push_back(0.5f * (interleaved[2 * i] + interleaved[2 * i + 1]));
    if (++s.pending < kFrame) continue;
    s.pending = 0;
    ebur128_add_frames_float(s.loud, interleaved.data() + 2 * fed, i + 1 - fed);
    fed = i + 1;
    const std::size_t kept = s.mono.size();
    s.frame(s.mono.data() + kept - kFrame, s.mono.data(), kept);
    if (kept >= history + 8 * kFrame) {
      s.mono.erase(s.mono.begin(), s.mono.end() - static_cast<std::ptrdiff_t>(history));
    }
  }
  if (fed < n) ebur128_add_frames_float(s.loud, interleaved.data() + 2 * fed, n - fed);
  s.frames += static_cast<std::int64_t>(n);
}

void Listener::mark_join(std::int64_t frame) {
  s_->joins.push_back(frame);
}

std::int64_t Listener::frames_seen() const {
  return s_->frames;
}

const std::vector<float>& Listener::spectrogram() const {
  return s_->spectrogram;
}
const std::vector<float>& Listener::semitones() const {
  return s_->semitones;
}
double Listener::semitone_first_frame_s() const {
  return static_cast<double>(std::max<std::int64_t>(s_->semitone_first, 0)) * kFrameS;
}

AudioFigures Listener::figures() const {
  const State& s = *s_;
  AudioFigures f;
  f.minutes = static_cast<double>(s.frames) / kRate / 60.0;
  ebur128_loudness_global(s.loud, &f.integrated_lufs);
  ebur128_loudness_range(s.loud, &f.loudness_range_lu);
  double peak = 0;
  for (unsigned ch = 0; ch < 2; ++ch) {
    double p = 0;
    ebur128_true_peak(s.loud, ch, &p);
    peak = std::max(peak, p);
  }
  f.true_peak_dbtp = 20.0 * std::log10(std::max(peak, 1e-12));
  f.max_short_term_lufs = s.max_short_term;
  std::vector<double> sounding;
  for (double c : s.centroid)
    if (c >= 0) sounding.push_back(c);
  f.centroid_median_hz = median(sounding);
  f.low_share = s.total > 0 ? s.low / s.total : 0;
  f.high_share = s.total > 0 ? s.high / s.total : 0;

  const std::size_t per_minute = static_cast<std::size_t>(60.0 / kFrameS);
  for (std::size_t m = 0; (m + 1) * per_minute <= s.centroid.size(); ++m) {
    std::vector<double> c, l;
    for (std::size_t i = m * per_minute; i < (m + 1) * per_minute; ++i) {
      if (s.centroid[i] >= 0) c.push_back(s.centroid[i]);
      if (std::isfinite(s.short_term[i])) l.push_back(s.short_term[i]);
    }
    f.minute_centroid_hz.push_back(median(c));
    f.minute_lufs.push_back(l.empty() ? -HUGE_VAL : median(l));
  }
  if (!f.minute_centroid_hz.empty()) {
    const auto [lo, hi] =
        std::minmax_element(f.minute_centroid_hz.begin(), f.minute_centroid_hz.end());
    f.minute_centroid_ratio = *lo > 0 ? *hi / *lo : 0;
  }

  // The high band around each join: a swell is its peak in [J - 4 s, J + 1 s] >= 10 dB over
  // the median of the middle half of the phrase before; the timing is where its peak falls in
  // the phrase-long window centred on the join.
  std::vector<double> smooth(s.hf_db.size());
  for (std::size_t i = 0; i < s.hf_db.size(); ++i) {
    double p = 0;
    int n = 0;
    for (std::size_t k = i >= 9 ? i - 9 : 0; k <= i; ++k, ++n) p += std::pow(10.0, s.hf_db[k] / 10);
    smooth[i] = db(p / n);
  }
  const auto at = [&](std::int64_t frame) {
    return static_cast<std::int64_t>(static_cast<double>(frame) / kRate / kFrameS);
  };
  std::vector<double> timing;
  int swells = 0;
  for (std::size_t j = 1; j + 1 < s.joins.size(); ++j) {
    const std::int64_t start = at(s.joins[j - 1]), join = at(s.joins[j]), next = at(s.joins[j + 1]);
    const std::int64_t phrase = join - start;
    if (next - join < phrase / 2 || next >= static_cast<std::int64_t>(smooth.size())) continue;
    std::vector<double> middle(smooth.begin() + start + phrase / 4,
                               smooth.begin() + start + 3 * phrase / 4);
    const double mid = median(middle);
    double peak_db = -HUGE_VAL;
    for (std::int64_t i = join - 40; i <= join + 10; ++i)
      peak_db = std::max(peak_db, smooth[static_cast<std::size_t>(i)]);
    swells += peak_db - mid >= 10.0;
    std::int64_t best = join - phrase / 2;
    for (std::int64_t i = join - phrase / 2; i < join + phrase / 2; ++i)
      if (smooth[static_cast<std::size_t>(i)] > smooth[static_cast<std::size_t>(best)]) best = i;
    timing.push_back(static_cast<double>(best - join) * kFrameS);
    ++f.joins;
  }
  if (f.joins > 0) {
    f.join_swell_share = static_cast<double>(swells) / f.joins;
    double mean = 0, var = 0;
    for (double t : timing) mean += t;
    mean /= static_cast<double>(timing.size());
    for (double t : timing) var += (t - mean) * (t - mean);
    f.swell_timing_sd_s = std::sqrt(var / static_cast<double>(timing.size()));
  }
  return f;
}

std::vector<float> self_similarity(const std::vector<float>& spectrogram, double block_s, int& n) {
  constexpr int kPooled = 40;
  const std::size_t frames = spectrogram.size() / kBands;
  const auto per_block = static_cast<std::size_t>(std::max(1.0, block_s / kFrameS));
  n = static_cast<int>(frames / per_block);
  std::vector<std::vector<double>> feature(static_cast<std::size_t>(n),
                                           std::vector<double>(kPooled, 0.0));
  for (int b = 0; b < n; ++b) {
    for (std::size_t f = 0; f < per_block; ++f) {
      const float* col = &spectrogram[(static_cast<std::size_t>(b) * per_block + f) * kBands];
      for (int k = 0; k < kBands; ++k)
        feature[static_cast<std::size_t>(b)][static_cast<std::size_t>(k * kPooled / kBands)] +=
            std::pow(10.0, col[k] / 10.0);
    }
    for (auto& v : feature[static_cast<std::size_t>(b)]) v = db(v);
  }
  // Standardise each band over time, then compare blocks by cosine.
  for (int k = 0; k < kPooled; ++k) {
    double mean = 0, var = 0;
    for (const auto& v : feature) mean += v[static_cast<std::size_t>(k)];
    mean /= std::max(n, 1);
    for (const auto& v : feature) var += std::pow(v[static_cast<std::size_t>(k)] - mean, 2);
    const double sd = std::sqrt(var / std::max(n, 1)) + 1e-9;
    for (auto& v : feature)
      v[static_cast<std::size_t>(k)] = (v[static_cast<std::size_t>(k)] - mean) / sd;
  }
  std::vector<double> norm(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    double s = 0;
    for (double x : feature[static_cast<std::size_t>(i)]) s += x * x;
    norm[static_cast<std::size_t>(i)] = std::sqrt(s) + 1e-9;
  }
  std::vector<float> out(static_cast<std::size_t>(n) * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double dot = 0;
      for (int k = 0; k < kPooled; ++k)
        dot += feature[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)] *
               feature[static_cast<std::size_t>(j)][static_cast<std::size_t>(k)];
      out[static_cast<std::size_t>(i) * static_cast<std::size_t>(n) + static_cast<std::size_t>(j)] =
          static_cast<float>(
              dot / (norm[static_cast<std::size_t>(i)] * norm[static_cast<std::size_t>(j)]));
    }
  }
  return out;
}

}  // namespace auralis::analysis
