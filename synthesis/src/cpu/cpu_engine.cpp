// The plain C++ engine: renders a window block by block on the absolute frame grid, layer by
// layer, each voice through its oscillator kernel and the envelope/pan mix into a small
// L1-resident bus that is then stored into the stems once. No allocation once warmed up.
#include <algorithm>
#include <array>
#include <vector>

#include "auralis/synthesis/engine.hpp"
#include "kernels.hpp"
#include "voice_setup.hpp"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace auralis::synthesis {
namespace {

using cpu::kBlockFrames;
using cpu::PreparedVoice;
using cpu::Range;

// Flushes denormals to zero while rendering (envelope tails multiply into tiny values) and
// restores the caller's floating-point mode afterwards.
class DenormalGuard {
 public:
#if defined(__SSE__)
  DenormalGuard() : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ | 0x8040);
  }  // FTZ | DAZ
  ~DenormalGuard() {
    _mm_setcsr(saved_);
  }

 private:
  unsigned saved_;
#endif
};

std::int64_t floor_to_block(std::int64_t frame) {
  const std::int64_t q = frame / kBlockFrames;
  return (q * kBlockFrames > frame ? q - 1 : q) * kBlockFrames;
}

class CpuEngine final : public Engine {
 public:
  std::string_view name() const override { return "cpu"; }
  std::string device() const override { return "cpu"; }

  void render(const RenderJob& job, Stems& out) override { run(job, out, nullptr); }

  // One window per grid block, rendered into the scratch stems' first frames.
  void render_windows(const RenderJob& job, Stems& scratch,
                      const WindowConsumer& consume) override {
    run(job, scratch, &consume);
  }

 private:
  // Renders the job block by block on the absolute grid: into `out` at the job's offsets, or,
  // with a consumer, each block's window into out's first frames, handed over at once.
  void run(const RenderJob& job, Stems& out, const WindowConsumer* consume) {
    DenormalGuard guard;
    out.resize(consume ? std::min<std::int64_t>(job.frames, kBlockFrames) : job.frames);
    prepare(job);
    silence_ = {};
    const std::int64_t job_end = job.start_frame + job.frames;
    for (std::int64_t block = floor_to_block(job.start_frame); block < job_end;
         block += kBlockFrames) {
      const Range window{static_cast<int>(std::max(job.start_frame, block) - block),
                         static_cast<int>(std::min(job_end, block + kBlockFrames) - block)};
      const std::int64_t offset = block + window.begin - job.start_frame;
      // A whole block handed over as a window is rendered straight into the stems.
      const bool direct = consume && window.begin == 0 && window.end == kBlockFrames;
      for (int layer = 0; layer < music::kLayerCount; ++layer) {
        render_layer(layer, block, window, consume ? 0 : offset, out, direct);
      }
      if (consume) {
        for (int layer = 0; layer < music::kLayerCount; ++layer) flush_silence(layer, out);
        (*consume)(offset, window.end - window.begin, out);
      }
    }
    for (int layer = 0; layer < music::kLayerCount; ++layer) flush_silence(layer, out);
  }

  // Voices overlapping the window, grouped by layer in job order (the summation order).
  void prepare(const RenderJob& job) {
    voices_.clear();
    const std::int64_t job_end = job.start_frame + job.frames;
    for (int layer = 0; layer < music::kLayerCount; ++layer) {
      layer_begin_[layer] = voices_.size();
      for (const auto& spec : job.voices) {
        if (static_cast<int>(spec.layer) != layer) continue;
        if (spec.start_frame >= job_end || spec.end_frame() <= job.start_frame) continue;
        voices_.push_back(cpu::prepare_voice(spec));
      }
    }
    layer_begin_[music::kLayerCount] = voices_.size();
  }

  // Voices run over their whole part of the grid block even where the window covers less of
  // it: the vectorised loops then split (aligned body, epilogue) identically for every window,
  // so FMA contraction cannot make a sample depend on where a window starts. Only the window's
  // frames are stored.
  // `at`: where the window's first frame goes in `out`. `direct`: the window is a whole block
  // and goes to out's frames [0, kBlockFrames): the voices mix straight into its planes.
  void render_layer(int layer, std::int64_t block, Range window, std::int64_t at, Stems& out,
                    bool direct) {
    const auto l = static_cast<music::Layer>(layer);
    const std::int64_t n = window.end - window.begin;
    bool sounding = false;
    float* bus_l = acc_l_.data();
    float* bus_r = acc_r_.data();
    for (std::size_t i = layer_begin_[layer]; i < layer_begin_[layer + 1]; ++i) {
      const PreparedVoice& v = voices_[i];
      if (v.start_frame >= block + window.end || v.end_frame <= block + window.begin) continue;
      const Range r{static_cast<int>(std::max(v.start_frame, block) - block),
                    static_cast<int>(std::min(v.end_frame, block + kBlockFrames) - block)};
      if (!sounding) {
        if (direct) {
          flush_silence(layer, out);
          const auto planes = out.planes_for_write(l, 0, kBlockFrames);
          bus_l = planes[0];
          bus_r = planes[1];
        }
        // The first voice writes the bus over its range; the window's frames outside it start
        // at zero (the bus beyond the window is never stored).
        std::fill(bus_l + window.begin, bus_l + std::max(window.begin, r.begin), 0.0f);
        std::fill(bus_r + window.begin, bus_r + std::max(window.begin, r.begin), 0.0f);
        std::fill(bus_l + std::min(window.end, r.end), bus_l + window.end, 0.0f);
        std::fill(bus_r + std::min(window.end, r.end), bus_r + window.end, 0.0f);
      }
      render_voice(v, block, r, !sounding, bus_l, bus_r);
      sounding = true;
    }
    if (sounding) {
      if (!direct) {
        flush_silence(layer, out);
        out.store(l, at, bus_l + window.begin, bus_r + window.begin, n);
      }
    } else if (silence_[layer].frames > 0) {
      silence_[layer].frames += n;  // blocks are rendered in order: the run grows contiguously
    } else {
      silence_[layer] = {at, n};
    }
  }

  // A layer's silent blocks are stored as one run, so that only its ends can cut a grain of the
  // stems' silence flags (Stems::store_silence skips what is already known silent).
  void flush_silence(int layer, Stems& out) {
    Run& run = silence_[layer];
    if (run.frames > 0) out.store_silence(static_cast<music::Layer>(layer), run.begin, run.frames);
    run = {};
  }

  void render_voice(const PreparedVoice& v, std::int64_t block, Range r, bool first, float* bus_l,
                    float* bus_r) {
    // Phases and times at the block's grid frame: independent of the window.
    const std::int64_t since_on = block - v.start_frame;
    const auto t0 = static_cast<float>(since_on);
    float* x = x_.data();
    // Phases anchored at the block's grid frame in double (analytic), then float in the kernel.
    const auto phase = [&](int k) {
      return static_cast<float>(voice::phase_at(v.start_phase[k], v.freq_hz[k], since_on));
    };
    switch (v.kernel) {
      case cpu::Kernel::saws: {
        cpu::SawParams saw = v.saw;
        for (int k = 0; k < 3; ++k) saw.phase[k] = phase(k);
        cpu::pad_saws(saw, r, x);
        break;
      }
      case cpu::Kernel::fm: {
        cpu::FmParams fm = v.fm;
        fm.phase = phase(0);
        fm.mod_phase = phase(1);
        fm.t0_frames = t0;
        cpu::fm_voice(fm, r, x);
        break;
      }
      case cpu::Kernel::modal: {
        cpu::ModalParams modal = v.modal;
        for (int k = 0; k < modal.count; ++k) modal.phase[k] = phase(k);
        modal.t0_frames = t0;
        cpu::modal(modal, r, x);
        break;
      }
      case cpu::Kernel::sub: {
        cpu::SubParams sub = v.sub;
        sub.phase = phase(0);
        cpu::sub_bass(sub, r, x);
        break;
      }
      case cpu::Kernel::kick: {
        cpu::KickParams kick = v.kick;
        kick.t0_frames = t0;
        cpu::kick_sweep(kick, r, x);
        break;
      }
      case cpu::Kernel::noise:
        cpu::white_noise(v.noise_key, block, r, x);
        break;
    }
    cpu::envelope_mix(v.env, t0, v.gain_l, v.gain_r, r, x, bus_l, bus_r, first);
  }

  struct Run {
    std::int64_t begin = 0, frames = 0;
  };
  std::array<Run, music::kLayerCount> silence_{};  // silent frames not yet stored, per layer
  std::vector<PreparedVoice> voices_;
  std::array<std::size_t, music::kLayerCount + 1> layer_begin_{};
  alignas(64) std::array<float, kBlockFrames> x_{};
  alignas(64) std::array<float, kBlockFrames> acc_l_{};
  alignas(64) std::array<float, kBlockFrames> acc_r_{};
};

}  // namespace

std::unique_ptr<Engine> make_cpu_engine() {
  return std::make_unique<CpuEngine>();
}

}  // namespace auralis::synthesis
