// The music report (docs/music.md, "The music report"): renders sessions through the whole
// pipeline (composer -> timeline -> engine -> mixer, as the daemon does) and prints what a
// listener would notice, as figures against the targets of issue #16; writes a spectrogram, a
// semitone spectrogram with the score drawn over it and a timbre self-similarity matrix as PNG.
//
// Usage: music_report [--minutes 30] [--energies 0.15,0.4,0.85] [--seeds 11,22,33]
//                     [--brightness 0.5] [--tempo 70] [--engine cpu|torch]
//                     [--pictures DIR] [--picture-energy 0.4] [--picture-seed 11]
//                     [--excerpt-from 0] [--excerpt-minutes 3]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "auralis/analysis/listener.hpp"
#include "auralis/analysis/session_render.hpp"
#include "auralis/music/composer.hpp"
#include "auralis/music/score_figures.hpp"
#include "auralis/synthesis/engine.hpp"
#include "report/png_image.hpp"

namespace {

using namespace auralis;
constexpr double kRate = synthesis::kSampleRate;

struct Options {
  double minutes = 30;
  std::vector<double> energies = {0.15, 0.4, 0.85};
  std::vector<std::uint64_t> seeds = {11, 22, 33};
  double brightness = 0.5;
  double tempo = 70;
  std::string engine = "cpu";
  std::string pictures;  // directory; empty: no pictures
  double picture_energy = 0.4;
  std::uint64_t picture_seed = 11;
  double excerpt_from_min = 0;
  double excerpt_minutes = 3;
};

struct PlacedPhrase {
  music::Phrase phrase;
  double start_s;
};

struct Result {
  double energy = 0;
  std::uint64_t seed = 0;
  analysis::AudioFigures audio;
  music::ScoreFigures score;
  double pitched_high_share = 0;            // texture and percussion off
  double percussion_peak_lufs = -HUGE_VAL;  // solo, at the full mix's master gain
  bool percussion = false;
  double settled_gain_db = 0;  // the master gain two minutes in
  std::vector<std::string> sections;
};

std::unique_ptr<synthesis::Engine> make_engine(const std::string& name) {
  return name == "torch" ? synthesis::make_torch_engine("cpu") : synthesis::make_cpu_engine();
}

// Renders `minutes` of a session into `listener` (and the percussion alone into `solo`, when
// given). Returns the phrases with their start times.
std::vector<PlacedPhrase> render(const Options& o, const music::SessionParams& params,
                                 analysis::Listener& listener, analysis::Listener* solo,
                                 double* settled_gain_db) {
  auto engine = make_engine(o.engine);
  std::vector<PlacedPhrase> phrases;
  const auto settle_frame = static_cast<std::int64_t>(120 * kRate);  // two minutes in
  analysis::render_session(
      params, *engine, static_cast<std::int64_t>(o.minutes * 60 * kRate), listener, solo,
      [&](const analysis::RenderedPhrase& r) {
        phrases.push_back({r.phrase, static_cast<double>(r.start_frame) / kRate});
        if (settled_gain_db && r.done_before < settle_frame && r.done_after >= settle_frame)
          *settled_gain_db = r.mixer.master_gain_db();
      });
  return phrases;
}

music::SessionParams params_for(const Options& o, double energy, std::uint64_t seed) {
  music::SessionParams p;
  p.energy = energy;
  p.brightness = o.brightness;
  p.tempo_bpm = o.tempo;
  p.seed = seed;
  return p;
}

// The dB values at the 2nd and 99.7th percentiles: the pictures' colour scale runs between them.
std::pair<double, double> db_range(const std::vector<float>& values) {
  std::vector<float> v(values);
  if (v.empty()) return {-100, 0};
  const auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return static_cast<double>(v[i]);
  };
  const double lo = at(0.02), hi = at(0.997);
  return {lo, std::max(hi, lo + 1)};
}

void draw_spectrogram(const analysis::Listener& l, const std::vector<PlacedPhrase>& phrases,
                      const std::string& path) {
  const auto& s = l.spectrogram();
  const int frames = static_cast<int>(s.size() / analysis::kBands);
  const int width = std::min(1600, frames);
  const int height = analysis::kBands;
  constexpr int kStrip = 8;  // section characters along the top
  bench::Image img(width, height + kStrip);
  const double per_px = static_cast<double>(frames) / width;
  const auto [lo, hi] = db_range(s);
  for (int x = 0; x < width; ++x) {
    const int f0 = static_cast<int>(x * per_px),
              f1 = std::max(f0 + 1, static_cast<int>((x + 1) * per_px));
    for (int b = 0; b < height; ++b) {
      double p = 0;
      for (int f = f0; f < f1; ++f)
        p += std::pow(
            10.0,
            s[static_cast<std::size_t>(f) * analysis::kBands + static_cast<std::size_t>(b)] / 10.0);
      const double db = 10 * std::log10(p / (f1 - f0) + 1e-20);
      img.set(x, kStrip + height - 1 - b, bench::heat((db - lo) / (hi - lo)));
    }
  }
  static const bench::Rgb kCharacter[4] = {
      {120, 200, 255}, {60, 60, 160}, {90, 220, 120}, {255, 200, 60}};
  for (const auto& p : phrases) {
    const int x0 = static_cast<int>(p.start_s / analysis::kFrameS / per_px);
    const int x1 = static_cast<int>((p.start_s + p.phrase.duration_s) / analysis::kFrameS / per_px);
    img.fill_rect(x0, 0, x1, kStrip - 2, kCharacter[p.phrase.section_character % 4]);
  }
  img.write_png(path);
}

void draw_semitones(const analysis::Listener& l, const std::vector<PlacedPhrase>& phrases,
                    const std::string& path) {
  const auto& s = l.semitones();
  constexpr int kRows = analysis::kHighMidi - analysis::kLowMidi + 1;
  constexpr int kRowPx = 5;
  const int frames = static_cast<int>(s.size() / kRows);
  if (frames == 0) return;
  bench::Image img(frames, kRows * kRowPx);
  const auto [lo, hi] = db_range(s);
  for (int x = 0; x < frames; ++x) {
    for (int r = 0; r < kRows; ++r) {
      const double db = s[static_cast<std::size_t>(x) * kRows + static_cast<std::size_t>(r)];
      const bench::Rgb c = bench::heat((db - lo) / (hi - lo));
      for (int k = 0; k < kRowPx; ++k) img.set(x, (kRows - 1 - r) * kRowPx + k, c);
    }
  }
  // The score over it: each note's row outlined from onset to its end (gate), in its layer's
  // colour.
  const double t0 = l.semitone_first_frame_s();
  const auto colour = [](const music::Note& n) -> bench::Rgb {
    switch (n.layer) {
      case music::Layer::pad:
        return {200, 200, 200};
      case music::Layer::lead:
        return {0, 255, 255};
      case music::Layer::bass:
        return {255, 140, 0};
      case music::Layer::ornament:
        return n.instrument == music::Instrument::shimmer ? bench::Rgb{255, 255, 0}
                                                          : bench::Rgb{80, 255, 80};
      default:
        return {0, 0, 0};
    }
  };
  for (const auto& p : phrases) {
    for (const auto& n : p.phrase.notes) {
      if (n.layer == music::Layer::texture || n.layer == music::Layer::kick ||
          n.layer == music::Layer::brush)
        continue;
      if (n.midi < analysis::kLowMidi || n.midi > analysis::kHighMidi) continue;
      const int x0 = static_cast<int>((p.start_s + n.onset_s - t0) / analysis::kFrameS);
      const int x1 =
          static_cast<int>((p.start_s + n.onset_s + n.duration_s - t0) / analysis::kFrameS);
      if (x1 < 0 || x0 >= frames) continue;
      const int y = (analysis::kHighMidi - n.midi) * kRowPx;
      const bench::Rgb c = colour(n);
      for (int x = std::max(x0, 0); x <= std::min(x1, frames - 1); ++x) {
        img.set(x, y, c);
        img.set(x, y + kRowPx - 1, c);
      }
      for (int k = 0; k < kRowPx; ++k) img.set(x0, y + k, c);
    }
  }
  img.write_png(path);
}

void draw_self_similarity(const analysis::Listener& l, const std::string& path) {
  int n = 0;
  const auto m = analysis::self_similarity(l.spectrogram(), 4.0, n);
  bench::Image img(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      img.set(j, i,
              bench::heat(0.5 +
                          0.5 * m[static_cast<std::size_t>(i) * n + static_cast<std::size_t>(j)]));
  img.write_png(path);
}

Result measure(const Options& o, double energy, std::uint64_t seed, bool pictures) {
  Result r;
  r.energy = energy;
  r.seed = seed;
  const auto params = params_for(o, energy, seed);
  analysis::ListenSettings settings;
  settings.spectrogram = pictures;
  if (pictures) {
    settings.semitone_from_s = o.excerpt_from_min * 60;
    settings.semitone_to_s = (o.excerpt_from_min + o.excerpt_minutes) * 60;
  }
  analysis::Listener listener(settings), solo;
  const auto phrases = render(o, params, listener, &solo, &r.settled_gain_db);
  r.audio = listener.figures();
  std::vector<music::Phrase> score;
  for (const auto& p : phrases) {
    score.push_back(p.phrase);
    for (const auto& n : p.phrase.notes)
      r.percussion |= n.layer == music::Layer::kick || n.layer == music::Layer::brush;
    if (p.phrase.section_phrase == 0) {
      char line[96];
      std::snprintf(line, sizeof line, "%s@%.1f",
                    music::section_character_name(p.phrase.section_character), p.start_s / 60);
      r.sections.push_back(line);
    }
  }
  r.score = music::score_figures(score);
  r.percussion_peak_lufs = r.percussion ? solo.figures().max_short_term_lufs : -HUGE_VAL;

  auto pitched = params;
  pitched.layers.texture = false;
  pitched.layers.percussion = false;
  analysis::Listener pitched_listener;
  render(o, pitched, pitched_listener, nullptr, nullptr);
  r.pitched_high_share = pitched_listener.figures().high_share;

  if (pictures) {
    draw_spectrogram(listener, phrases, o.pictures + "/spectrogram.png");
    draw_semitones(listener, phrases, o.pictures + "/semitones.png");
    draw_self_similarity(listener, o.pictures + "/self_similarity.png");
  }
  return r;
}

std::vector<double> parse_list(const std::string& text) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stod(item));
  return out;
}

struct Range {
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "music_report: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--minutes")
      o.minutes = std::stod(value());
    else if (a == "--energies")
      o.energies = parse_list(value());
    else if (a == "--seeds") {
      o.seeds.clear();
      for (double s : parse_list(value())) o.seeds.push_back(static_cast<std::uint64_t>(s));
    } else if (a == "--brightness")
      o.brightness = std::stod(value());
    else if (a == "--tempo")
      o.tempo = std::stod(value());
    else if (a == "--engine")
      o.engine = value();
    else if (a == "--pictures")
      o.pictures = value();
    else if (a == "--picture-energy")
      o.picture_energy = std::stod(value());
    else if (a == "--picture-seed")
      o.picture_seed = static_cast<std::uint64_t>(std::stod(value()));
    else if (a == "--excerpt-from")
      o.excerpt_from_min = std::stod(value());
    else if (a == "--excerpt-minutes")
      o.excerpt_minutes = std::stod(value());
    else {
      std::fprintf(stderr,
                   "usage: music_report [--minutes M] [--energies a,b] [--seeds a,b] [--brightness "
                   "B] [--tempo T] [--engine cpu|torch] [--pictures DIR] [--picture-energy E] "
                   "[--picture-seed S] [--excerpt-from MIN] [--excerpt-minutes MIN]\n");
      return 2;
    }
  }

  std::printf("music report: %.0f-minute renders, brightness %.2f, %.0f BPM, engine %s\n",
              o.minutes, o.brightness, o.tempo, o.engine.c_str());
  std::vector<Result> results;
  for (double e : o.energies) {
    for (std::uint64_t seed : o.seeds) {
      const bool pictures = !o.pictures.empty() && e == o.picture_energy && seed == o.picture_seed;
      const Result r = measure(o, e, seed, pictures);
      results.push_back(r);
      const auto& a = r.audio;
      const auto& s = r.score;
      std::printf("\nenergy %.2f seed %llu\n", e, static_cast<unsigned long long>(seed));
      std::printf("  sections:");
      for (const auto& sec : r.sections) std::printf(" %s", sec.c_str());
      std::printf(
          "\n  loudness %.1f LUFS, LRA %.1f LU, true peak %.1f dBTP, settled gain %+.1f dB\n",
          a.integrated_lufs, a.loudness_range_lu, a.true_peak_dbtp, r.settled_gain_db);
      std::printf(
          "  centroid %.0f Hz; below 150 Hz %.1f%%; above 2 kHz %.1f%% (pitched only %.2f%%)\n",
          a.centroid_median_hz, 100 * a.low_share, 100 * a.high_share, 100 * r.pitched_high_share);
      std::printf("  per-minute centroid (Hz):");
      for (double c : a.minute_centroid_hz) std::printf(" %.0f", c);
      std::printf("  -> max/min %.2f\n  per-minute loudness (LUFS):", a.minute_centroid_ratio);
      for (double l : a.minute_lufs) std::printf(" %.1f", l);
      std::printf("\n  joins %d: high-band swell >= 10 dB at %.0f%%, peak timing sd %.1f s\n",
                  a.joins, 100 * a.join_swell_share, a.swell_timing_sd_s);
      std::printf(
          "  lead: median %.0f, pad median %.0f (+%.0f st); timing sd %.1f ms; velocity span %.2f; "
          "on the beat %.0f%%; %d instruments\n",
          s.lead_median_midi, s.pad_median_midi, s.lead_above_pad_st, s.lead_timing_sd_ms,
          s.lead_velocity_span, 100 * s.lead_on_beat_share, s.lead_instruments);
      std::printf(
          "  cells recalled > 4 phrases later %.0f%%; exact 8-bar repeats %.1f%%; sections %d "
          "(%.1f-%.1f min); modes %d; tempo %.0f-%.0f BPM\n",
          100 * s.cells_recalled_share, 100 * s.exact_repeat_share, s.sections,
          s.section_minutes_min, s.section_minutes_max, s.modes, s.tempo_min_bpm, s.tempo_max_bpm);
      if (r.percussion)
        std::printf("  percussion alone peaks at %.1f LUFS (short-term)\n", r.percussion_peak_lufs);
      else
        std::printf("  no percussion\n");
      std::fflush(stdout);
    }
  }

  // The targets, over every render (the centroid at the default energy only).
  Range centroid, low, pitched, swell, timing, ratio, lra, lufs, tp, instruments, above, sd, span,
      recalled, repeats, percussion;
  for (const auto& r : results) {
    if (std::fabs(r.energy - 0.4) < 1e-9) centroid.add(r.audio.centroid_median_hz);
    low.add(100 * r.audio.low_share);
    pitched.add(100 * r.pitched_high_share);
    swell.add(100 * r.audio.join_swell_share);
    timing.add(r.audio.swell_timing_sd_s);
    ratio.add(r.audio.minute_centroid_ratio);
    lra.add(r.audio.loudness_range_lu);
    lufs.add(r.audio.integrated_lufs);
    tp.add(r.audio.true_peak_dbtp);
    instruments.add(r.score.lead_instruments);
    above.add(r.score.lead_above_pad_st);
    sd.add(r.score.lead_timing_sd_ms);
    span.add(r.score.lead_velocity_span);
    recalled.add(100 * r.score.cells_recalled_share);
    repeats.add(100 * r.score.exact_repeat_share);
    if (r.energy >= 0.85 - 1e-9) percussion.add(r.percussion_peak_lufs);
  }
  std::printf("\ntargets (issue #16), min..max over the renders above:\n");
  const auto row = [](const char* what, const Range& r, const char* unit, const char* target,
                      bool met) {
    if (r.lo > r.hi) {
      std::printf("  %-58s %18s   %-22s %s\n", what, "not measured", target, "-");
      return;
    }
    std::printf("  %-58s %8.2f..%-8.2f%s %-22s %s\n", what, r.lo, r.hi, unit, target,
                met ? "MET" : "NOT MET");
  };
  row("spectral centroid, median of 100 ms frames (energy 0.4), Hz", centroid, "", "600-1,200",
      centroid.lo >= 600 && centroid.hi <= 1200);
  row("share of power below 150 Hz, %", low, "", "< 25", low.hi < 25);
  row("pitched layers' share above 2 kHz (texture off), %", pitched, "", ">= 2", pitched.lo >= 2);
  row("joins with a 2-8 kHz swell >= 10 dB, %", swell, "", "<= 50", swell.hi <= 50);
  row("swell timing sd, s", timing, "", "> 4", timing.lo > 4);
  row("per-minute centroid max/min", ratio, "", ">= 2", ratio.lo >= 2);
  row("loudness range (LRA), LU", lra, "", "5-10", lra.lo >= 5 && lra.hi <= 10);
  row("integrated loudness, LUFS", lufs, "", "-16 +-1", lufs.lo >= -17 && lufs.hi <= -15);
  row("true peak, dBTP", tp, "", "<= -1", tp.hi <= -1);
  row("distinct lead timbres", instruments, "", ">= 4", instruments.lo >= 4);
  row("lead median above pad median, semitones", above, "", ">= 12", above.lo >= 12);
  row("lead timing sd around the grid, ms", sd, "", "10-30", sd.lo >= 10 && sd.hi <= 30);
  row("lead velocity 5-95% span", span, "", ">= 0.35", span.lo >= 0.35);
  row("2-bar cells recalled > 4 phrases later, %", recalled, "", ">= 20", recalled.lo >= 20);
  row("exact 8-bar repeats, %", repeats, "", "< 5", repeats.hi < 5);
  row("percussion peak at energy 0.85, LUFS (short-term)", percussion, "", ">= -22",
      percussion.lo >= -22);
  std::printf("  full CPU mix, one core: see bench/effects_bench (target >= 1,000x)\n");
  if (!o.pictures.empty()) std::printf("\npictures written to %s\n", o.pictures.c_str());
  return 0;
}
