// Listens to finished audio as the music report does (docs/music.md, "The music report"):
// streams interleaved 48 kHz stereo in, 100 ms frame by frame, and keeps what the figures and
// pictures need: loudness (libebur128: integrated, range, true peak, short-term), the spectral
// centroid and band shares per frame and per minute, the high band around phrase joins, and
// optionally a log-frequency spectrogram, a semitone spectrogram of an excerpt and the timbre
// features of a self-similarity matrix.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace auralis::analysis {

struct ListenSettings {
  bool spectrogram = false;    // keep log-frequency columns (pictures, self-similarity)
  double semitone_from_s = 0;  // excerpt kept as a semitone spectrogram (empty: none)
  double semitone_to_s = 0;
};

struct AudioFigures {
  double minutes = 0;
  double integrated_lufs = 0;
  double true_peak_dbtp = 0;
  double loudness_range_lu = 0;
  double max_short_term_lufs = 0;
  double centroid_median_hz = 0;           // of the frames that are not silent
  double low_share = 0;                    // power below 150 Hz / all
  double high_share = 0;                   // power above 2 kHz / all
  std::vector<double> minute_centroid_hz;  // median per whole minute
  double minute_centroid_ratio = 0;        // max / min of those
  std::vector<double> minute_lufs;         // median short-term loudness per whole minute
  int joins = 0;                           // phrase joins with a whole phrase either side
  double join_swell_share = 0;   // joins with a 2-8 kHz swell >= 10 dB over the phrase's middle
  double swell_timing_sd_s = 0;  // spread of the high band's peak around the joins
};

// The log-frequency spectrogram: kBands bands from kLowHz to kHighHz, dB, one column per frame.
inline constexpr int kBands = 240;
inline constexpr double kLowHz = 30;
inline constexpr double kHighHz = 16000;
// The semitone spectrogram: MIDI kLowMidi..kHighMidi, dB, one column per frame.
inline constexpr int kLowMidi = 24;
inline constexpr int kHighMidi = 108;
inline constexpr double kFrameS = 0.1;

class Listener {
 public:
  explicit Listener(ListenSettings settings = {});
  ~Listener();
  Listener(Listener&&) noexcept;
  Listener& operator=(Listener&&) noexcept;

  void add(std::span<const float> interleaved);
  // A phrase join at `frame` (frames counted from the first sample added).
  void mark_join(std::int64_t frame);

  AudioFigures figures() const;
  std::int64_t frames_seen() const;

  // Column-major pictures: frame f, band b at [f * bands + b].
  const std::vector<float>& spectrogram() const;
  const std::vector<float>& semitones() const;  // (kHighMidi - kLowMidi + 1) per frame
  double semitone_first_frame_s() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Cosine self-similarity of the spectrogram's timbre (40 pooled bands, each standardised over
// time) in blocks of `block_s` seconds: an n x n matrix, row-major.
std::vector<float> self_similarity(const std::vector<float>& spectrogram, double block_s, int& n);

}  // namespace auralis::analysis
