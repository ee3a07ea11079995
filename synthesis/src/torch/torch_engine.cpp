// The LibTorch engine: renders every voice of one or more windows as batched tensors on a
// torch::Device, chunk by chunk (voices x frames), with the formulas of voice_model.hpp and the
// patches (one tensor program per kernel: saws, FM, modal partials, sub, kick, noise). Per-note
// phases are anchored in double on the host at each chunk start, then the chunk runs in float32;
// layers are summed and panned by one matrix product into the stems. This is the only translation
// unit that includes LibTorch.
#include <malloc.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "auralis/synthesis/engine.hpp"
#include "patches.hpp"
#include "voice_model.hpp"

namespace auralis::synthesis {
namespace {

constexpr double kSr = kSampleRate;
constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr std::int64_t kCpuChunkFrames = 4800;
constexpr std::int64_t kCudaChunkFrames = 48000;  // fewer, larger launches on a GPU
constexpr int kOutRowsPerJob = music::kLayerCount * 2;

// Columns of the per-voice parameter matrix uploaded once per chunk.
enum Col : int {
  kT0,  // frames since note-on at the chunk's first frame
  kInvAttack,
  kAttack,
  kInvDecay,
  kSustain,
  kOneMinusSustain,
  kInvRelease,
  kGate,
  kCurve,
  kPhase,     // cycles at the chunk's first frame (FM carrier, bass)
  kInc,       // cycles per frame (FM carrier, bass, kick: the final frequency)
  kAux,       // FM: vibrato depth in cycles; kick: sweep cycles; bass: drive
  kAux2,      // FM: modulation index / 2 pi; bass: 1 / tanh(drive)
  kModPhase,  // FM modulator: cycles at the chunk's first frame
  kModInc,    // FM modulator: cycles per frame
  kRatio,     // FM: modulator / carrier (the vibrato moves the modulator this much more)
  kIndexFloor,
  kOneMinusIndexFloor,
  kIndexDecay,  // FM: -1 / (time constant in frames)
  kGainLeft,    // gain x constant-power pan
  kGainRight,
  kCols
};
// Columns of the pad saw matrix (three rows per pad voice).
enum SawCol : int { kSawPhase, kSawInc, kSawInvInc, kSawOneMinusInvInc, kSawCols };
// Columns of the modal partial matrix (kMaxPartials rows per modal voice; unused ones silent).
enum PartialCol : int { kPartPhase, kPartInc, kPartAmp, kPartDecay, kPartCols };

// The tensor program that renders an instrument: voices are grouped by it (contiguous rows).
enum class Kernel : int { saws, fm, modal, sub, kick, noise };
constexpr int kKernelCount = 6;
Kernel kernel_of(music::Instrument instrument) {
  using music::Instrument;
  switch (instrument) {
    case Instrument::warm_pad:
    case Instrument::string_pad:
      return Kernel::saws;
    case Instrument::soft_lead:
    case Instrument::electric_piano:
    case Instrument::glass_bell:
      return Kernel::fm;
    case Instrument::pluck:
    case Instrument::shimmer:
      return Kernel::modal;
    case Instrument::sub_bass:
      return Kernel::sub;
    case Instrument::kick:
      return Kernel::kick;
    case Instrument::air:
    case Instrument::brush:
      return Kernel::noise;
  }
  return Kernel::noise;
}

// Process-wide malloc tuning against page faults on large temporaries (docs/performance.md).
void tune_malloc_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
}

torch::Device parse_device(const std::string& text) {
  if (text == "cpu") return torch::Device(torch::kCPU);
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (text.size() > 5) {
      std::size_t used = 0;
      try {
        index = std::stoi(text.substr(5), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() - 5 || index < 0) {
        throw std::runtime_error("torch engine: bad device \"" + text +
                                 "\" (use cpu, cuda, cuda:N)");
      }
    }
    if (!torch::cuda::is_available()) {
      throw std::runtime_error("torch engine: device \"" + text +
                               "\" requested but CUDA is not available to LibTorch");
    }
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (index >= count) {
      throw std::runtime_error("torch engine: device \"" + text + "\" requested but only " +
                               std::to_string(count) + " CUDA device(s) present");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::runtime_error("torch engine: unknown device \"" + text + "\" (use cpu, cuda, cuda:N)");
}

// A voice of one job active in the current chunk.
struct ActiveVoice {
  const VoiceSpec* spec;
  std::size_t job;
  std::int64_t anchor;  // the chunk's first frame for this job
};

class TorchEngine final : public Engine {
 public:
  TorchEngine(torch::Device device, int threads)
      : device_(device),
        chunk_frames_(device.is_cuda() ? kCudaChunkFrames : kCpuChunkFrames),
        float_opts_(torch::TensorOptions().dtype(torch::kFloat32).device(device)),
        long_opts_(torch::TensorOptions().dtype(torch::kInt64).device(device)) {
    tune_malloc_once();
    if (threads > 0) at::set_num_threads(threads);
    torch::NoGradGuard no_grad;
    frame_index_ = torch::arange(chunk_frames_, float_opts_).unsqueeze(0);
    frame_index_long_ = torch::arange(chunk_frames_, long_opts_).unsqueeze(0);
  }

  std::string_view name() const override { return "torch"; }
  std::string device() const override { return device_.str(); }

  void render(const RenderJob& job, Stems& out) override {
    const RenderJob* jobs[] = {&job};
    Stems* outs[] = {&out};
    render_batch(jobs, outs);
  }

  void render_batch(std::span<const RenderJob* const> jobs, std::span<Stems* const> outs) override {
    if (jobs.size() != outs.size()) {
      throw std::invalid_argument("torch engine: jobs and outs differ in length");
    }
    c10::InferenceMode inference;
    // Chunks sit on the absolute grid of multiples of chunk_frames_ (per job), so a frame's
    // phase anchor does not depend on where a window starts: adjacent windows join seamlessly.
    origins_.clear();
    std::int64_t chunks = 0;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      outs[j]->resize(jobs[j]->frames);
      const std::int64_t origin = floor_to_chunk(jobs[j]->start_frame);
      origins_.push_back(origin);
      const std::int64_t end = jobs[j]->start_frame + jobs[j]->frames;
      chunks = std::max(chunks, (end - origin + chunk_frames_ - 1) / chunk_frames_);
    }
    for (std::int64_t c = 0; c < chunks; ++c) render_chunk(jobs, outs, c);
  }

 private:
  std::int64_t floor_to_chunk(std::int64_t frame) const {
    const std::int64_t q = frame / chunk_frames_;
    return (q * chunk_frames_ > frame ? q - 1 : q) * chunk_frames_;
  }

  // Frames [from, to) of job j inside chunk c (empty when the job has none there).
  std::pair<std::int64_t, std::int64_t> chunk_span(const RenderJob& job, std::size_t j,
                                                   std::int64_t c) const {
    const std::int64_t anchor = origins_[j] + c * chunk_frames_;
    return {std::max(anchor, job.start_frame),
            std::min(anchor + chunk_frames_, job.start_frame + job.frames)};
  }

  void render_chunk(std::span<const RenderJob* const> jobs, std::span<Stems* const> outs,
                    std::int64_t c) {
    collect(jobs, c);
    const auto rows = static_cast<std::int64_t>(active_.size());
    const auto out_rows = static_cast<std::int64_t>(jobs.size()) * kOutRowsPerJob;
    ensure_capacity(rows, out_rows);
    fill_host_params();

    torch::Tensor out = out_buf_.narrow(0, 0, out_rows);
    if (rows == 0) {
      out.zero_();
    } else {
      const torch::Tensor params = upload(host_params_, {rows, kCols}, torch::kFloat32);
      torch::Tensor sig = sig_buf_.narrow(0, 0, rows);
      torch::Tensor t = t_buf_.narrow(0, 0, rows);
      at::add_out(t, params.narrow(1, kT0, 1), frame_index_);
      render_oscillators(params, sig, t);
      apply_envelope(params, sig, t, rows);
      mix_down(params, sig, out);
    }
    store(out.to(torch::kCPU), jobs, outs, c);
  }

  // Active voices of every job in this chunk, grouped by kernel (the tensor slices), then by
  // layer and job.
  void collect(std::span<const RenderJob* const> jobs, std::int64_t c) {
    active_.clear();
    for (int kernel = 0; kernel < kKernelCount; ++kernel) {
      kernel_rows_[static_cast<std::size_t>(kernel)] = active_.size();
      for (int layer = 0; layer < music::kLayerCount; ++layer) {
        for (std::size_t j = 0; j < jobs.size(); ++j) {
          const auto [from, to] = chunk_span(*jobs[j], j, c);
          if (from >= to) continue;
          for (const auto& v : jobs[j]->voices) {
            if (static_cast<int>(v.layer) != layer ||
                static_cast<int>(kernel_of(v.instrument)) != kernel) {
              continue;
            }
            if (v.start_frame >= to || v.end_frame() <= from) continue;
            active_.push_back({&v, j, origins_[j] + c * chunk_frames_});
          }
        }
      }
    }
    kernel_rows_[kKernelCount] = active_.size();
    mix_runs_.clear();
    curve_runs_.clear();
    for (std::size_t r = 0; r < active_.size(); ++r) {
      const auto row = static_cast<std::int64_t>(r);
      const int layer = static_cast<int>(active_[r].spec->layer);
      const float curve = voice::envelope_frames(*active_[r].spec).curve;
      if (mix_runs_.empty() || mix_runs_.back().job != active_[r].job ||
          mix_runs_.back().layer != layer) {
        mix_runs_.push_back({row, 0, active_[r].job, layer, 0.0f});
      }
      ++mix_runs_.back().count;
      if (curve_runs_.empty() || curve_runs_.back().curve != curve) {
        curve_runs_.push_back({row, 0, 0, 0, curve});
      }
      ++curve_runs_.back().count;
    }
  }

  // Pan and sum: each job's layer rows into its two output rows (a weighted sum; cheaper than
  // a matrix product through a reference BLAS and exact in the same order every time). A layer
  // played by several kernels has several runs, added up.
  void mix_down(const torch::Tensor& params, const torch::Tensor& sig, torch::Tensor& out) {
    out.zero_();
    for (const RowRun& run : mix_runs_) {
      const torch::Tensor rows = sig.narrow(0, run.first, run.count);
      torch::Tensor weighted = work_[0].narrow(0, 0, run.count);
      for (int ch = 0; ch < 2; ++ch) {
        const auto gain = params.narrow(0, run.first, run.count).narrow(1, kGainLeft + ch, 1);
        at::mul_out(weighted, rows, gain);
        torch::Tensor dst = out.narrow(
            0, static_cast<std::int64_t>(run.job) * kOutRowsPerJob + run.layer * 2 + ch, 1);
        at::sum_out(row_sum_, weighted, {0}, /*keepdim=*/true);
        dst.add_(row_sum_);
      }
    }
  }

  // x^curve per row, one scalar power per run of equal curves (LibTorch special-cases 2 and 3).
  void pow_curve(torch::Tensor& x) {
    for (const RowRun& run : curve_runs_) {
      if (run.curve == 1.0f) continue;
      x.narrow(0, run.first, run.count).pow_(static_cast<double>(run.curve));
    }
  }

  std::pair<std::int64_t, std::int64_t> kernel_slice(Kernel k) const {
    const auto i = static_cast<std::size_t>(k);
    return {static_cast<std::int64_t>(kernel_rows_[i]),
            static_cast<std::int64_t>(kernel_rows_[i + 1] - kernel_rows_[i])};
  }

  void fill_host_params() {
    const auto rows = active_.size();
    host_params_.assign(rows * kCols, 0.0f);
    const auto [saw0, saw_n] = kernel_slice(Kernel::saws);
    host_saws_.assign(static_cast<std::size_t>(saw_n) * patches::pad::kSawsPerNote * kSawCols,
                      0.0f);
    const auto [modal0, modal_n] = kernel_slice(Kernel::modal);
    host_partials_.assign(static_cast<std::size_t>(modal_n) * patches::kMaxPartials * kPartCols,
                          0.0f);
    host_noise_.clear();
    for (std::size_t r = 0; r < rows; ++r) {
      const ActiveVoice& a = active_[r];
      const VoiceSpec& v = *a.spec;
      float* p = &host_params_[r * kCols];
      const std::int64_t since_on = a.anchor - v.start_frame;
      const auto env = voice::envelope_frames(v);
      p[kT0] = static_cast<float>(since_on);
      p[kInvAttack] = 1.0f / env.attack;
      p[kAttack] = env.attack;
      p[kInvDecay] = 1.0f / env.decay;
      p[kSustain] = env.sustain;
      p[kOneMinusSustain] = 1.0f - env.sustain;
      p[kInvRelease] = 1.0f / env.release;
      p[kGate] = env.gate;
      p[kCurve] = env.curve;
      const auto pan = voice::pan_gains(v.pan, v.gain);
      p[kGainLeft] = pan.left;
      p[kGainRight] = pan.right;
      const double timbre = std::clamp(static_cast<double>(v.timbre), 0.0, 1.0);
      const auto phase = [&](double start, double hz) {
        return static_cast<float>(voice::phase_at(start, hz, since_on));
      };
      switch (kernel_of(v.instrument)) {
        case Kernel::saws: {
          const bool strings = v.instrument == music::Instrument::string_pad;
          for (int k = 0; k < patches::pad::kSawsPerNote; ++k) {
            const auto ks = static_cast<std::size_t>(k);
            const double ratio = strings ? patches::strings::kRatio[ks] : 1.0;
            const double cents =
                strings ? patches::strings::kCents[ks] : (k - 1) * patches::pad::kDetuneCents;
            const double hz = v.freq_hz * ratio * std::exp2(cents / 1200.0);
            float* s = &host_saws_[((r - static_cast<std::size_t>(saw0)) * 3 + ks) * kSawCols];
            const auto inc = static_cast<float>(hz / kSr);
            s[kSawPhase] = phase(voice::start_phase(v.seed, k), hz);
            s[kSawInc] = inc;
            s[kSawInvInc] = 1.0f / inc;
            s[kSawOneMinusInvInc] = 1.0f - 1.0f / inc;
          }
          break;
        }
        case Kernel::fm: {
          using namespace patches::fm;
          const patches::FmPatch& patch = *patches::fm_patch(v.instrument);
          const double cents = patch.vibrato_cents_min +
                               (patch.vibrato_cents_max - patch.vibrato_cents_min) * timbre;
          const double depth = cents * std::numbers::ln2 / 1200.0;
          const double start = voice::start_phase(v.seed, 0);
          const double mod_start = patch.ratio == 1.0 ? start : voice::start_phase(v.seed, 1);
          p[kPhase] = phase(start, v.freq_hz);
          p[kInc] = static_cast<float>(v.freq_hz / kSr);
          p[kModPhase] = phase(mod_start, v.freq_hz * patch.ratio);
          p[kModInc] = static_cast<float>(v.freq_hz * patch.ratio / kSr);
          p[kRatio] = static_cast<float>(patch.ratio);
          p[kAux] = static_cast<float>(v.freq_hz * depth / (kTwoPi * kVibratoHz));
          p[kAux2] = static_cast<float>(
              (patch.index_min + (patch.index_max - patch.index_min) * timbre) / kTwoPi);
          p[kIndexFloor] = static_cast<float>(patch.floor);
          p[kOneMinusIndexFloor] = static_cast<float>(1.0 - patch.floor);
          p[kIndexDecay] = static_cast<float>(-1.0 / (patch.decay_s * kSr));
          break;
        }
        case Kernel::modal: {
          const patches::Partials parts = patches::partials(v.instrument, v.freq_hz, timbre);
          for (int k = 0; k < parts.count; ++k) {
            const auto ks = static_cast<std::size_t>(k);
            const double hz = v.freq_hz * parts.ratio[ks];
            float* s =
                &host_partials_[((r - static_cast<std::size_t>(modal0)) * patches::kMaxPartials +
                                 ks) *
                                kPartCols];
            s[kPartPhase] = phase(voice::start_phase(v.seed, k), hz);
            s[kPartInc] = static_cast<float>(hz / kSr);
            s[kPartAmp] = static_cast<float>(parts.amp[ks]);
            s[kPartDecay] =
                parts.decay_s[ks] > 0 ? static_cast<float>(-1.0 / (parts.decay_s[ks] * kSr)) : 0.0f;
          }
          break;
        }
        case Kernel::sub: {
          const double drive = patches::bass_drive(timbre);
          p[kPhase] = phase(voice::start_phase(v.seed, 0), v.freq_hz);
          p[kInc] = static_cast<float>(v.freq_hz / kSr);
          p[kAux] = static_cast<float>(drive);
          p[kAux2] = static_cast<float>(1.0 / std::tanh(drive));
          break;
        }
        case Kernel::kick: {
          using namespace patches::kick;
          p[kInc] = static_cast<float>(v.freq_hz / kSr);
          p[kAux] = static_cast<float>((patches::kick_start_hz(timbre) - v.freq_hz) *
                                       kSweepTimeConstantS);
          break;
        }
        case Kernel::noise:
          host_noise_.push_back(static_cast<std::int64_t>(static_cast<std::uint32_t>(
              static_cast<std::uint32_t>(a.anchor) + voice::noise_key(v.seed))));
          break;
      }
    }
  }

  // Kernel by kernel into the signal rows (voices x frames) before the envelope.
  void render_oscillators(const torch::Tensor& params, torch::Tensor& sig, const torch::Tensor& t) {
    if (auto [r0, n] = kernel_slice(Kernel::saws); n > 0) render_saws(sig.narrow(0, r0, n), n);
    if (auto [r0, n] = kernel_slice(Kernel::fm); n > 0) {
      render_fm(params.narrow(0, r0, n), sig.narrow(0, r0, n), t.narrow(0, r0, n));
    }
    if (auto [r0, n] = kernel_slice(Kernel::modal); n > 0) {
      render_modal(sig.narrow(0, r0, n), t.narrow(0, r0, n), n);
    }
    if (auto [r0, n] = kernel_slice(Kernel::sub); n > 0) {
      render_bass(params.narrow(0, r0, n), sig.narrow(0, r0, n));
    }
    if (auto [r0, n] = kernel_slice(Kernel::kick); n > 0) {
      render_kick(params.narrow(0, r0, n), sig.narrow(0, r0, n), t.narrow(0, r0, n));
    }
    // Noise rows take their keys from host_noise_ in row order.
    if (auto [r0, n] = kernel_slice(Kernel::noise); n > 0) {
      const torch::Tensor keys = upload(host_noise_, {n, 1}, torch::kInt64);
      render_noise(keys, sig.narrow(0, r0, n));
    }
  }

  // Three PolyBLEP saws per pad voice: saw = 2p - 1 + a^2 - b^2 with a = (1 - p/dt)+ after the
  // wrap and b = (1 - (1-p)/dt)+ before it; summed per voice and scaled by 1/3.
  void render_saws(torch::Tensor sig, std::int64_t voices) {
    const std::int64_t saws = voices * patches::pad::kSawsPerNote;
    const torch::Tensor sp = upload(host_saws_, {saws, kSawCols}, torch::kFloat32);
    torch::Tensor p = work_[0].narrow(0, 0, saws);
    torch::Tensor a = work_[1].narrow(0, 0, saws);
    torch::Tensor b = work_[2].narrow(0, 0, saws);
    at::mul_out(p, sp.narrow(1, kSawInc, 1), frame_index_);
    p.add_(sp.narrow(1, kSawPhase, 1)).frac_();
    at::mul_out(a, p, sp.narrow(1, kSawInvInc, 1));
    a.neg_().add_(1.0).clamp_min_(0.0);
    a.mul_(a);
    at::mul_out(b, p, sp.narrow(1, kSawInvInc, 1));
    b.add_(sp.narrow(1, kSawOneMinusInvInc, 1)).clamp_min_(0.0);
    b.mul_(b);
    p.mul_(2.0).sub_(1.0).add_(a).sub_(b);
    at::sum_out(sig, p.view({voices, patches::pad::kSawsPerNote, chunk_frames_}), {1});
    sig.mul_(1.0 / patches::pad::kSawsPerNote);
  }

  // Two-operator FM with a decaying index and a delayed vibrato on both operators.
  void render_fm(const torch::Tensor& params, torch::Tensor sig, const torch::Tensor& t) {
    using namespace patches::fm;
    const std::int64_t n = params.size(0);
    torch::Tensor fade = work_[0].narrow(0, 0, n);
    torch::Tensor vib = work_[1].narrow(0, 0, n);
    torch::Tensor carrier = work_[2].narrow(0, 0, n);
    torch::Tensor index = work_[3].narrow(0, 0, n);
    const double inv_fade = 1.0 / (kVibratoFadeS * kSr);
    at::mul_out(fade, t, inv_fade);
    fade.sub_(kVibratoDelayS * kSr * inv_fade).clamp_(0.0, 1.0);
    at::mul_out(vib, t, kTwoPi * kVibratoHz / kSr);
    vib.sin_().mul_(fade).mul_(params.narrow(1, kAux, 1));
    at::mul_out(carrier, params.narrow(1, kInc, 1), frame_index_);
    carrier.add_(params.narrow(1, kPhase, 1)).frac_().add_(vib);
    at::mul_out(index, t, params.narrow(1, kIndexDecay, 1));
    index.exp_()
        .mul_(params.narrow(1, kOneMinusIndexFloor, 1))
        .add_(params.narrow(1, kIndexFloor, 1))
        .mul_(params.narrow(1, kAux2, 1));
    // fade's buffer now holds the modulator.
    at::mul_out(fade, params.narrow(1, kModInc, 1), frame_index_);
    fade.add_(params.narrow(1, kModPhase, 1)).frac_().add_(vib.mul_(params.narrow(1, kRatio, 1)));
    fade.mul_(kTwoPi).sin_().mul_(index);
    carrier.add_(fade).mul_(kTwoPi);
    at::sin_out(sig, carrier);
  }

  // Sine partials per voice (kMaxPartials rows each), each with its own decay, summed.
  void render_modal(torch::Tensor sig, const torch::Tensor& t, std::int64_t voices) {
    constexpr std::int64_t k = patches::kMaxPartials;
    const std::int64_t rows = voices * k;
    const torch::Tensor pp = upload(host_partials_, {rows, kPartCols}, torch::kFloat32);
    torch::Tensor x = work_[0].narrow(0, 0, rows);
    torch::Tensor decay = work_[1].narrow(0, 0, rows);
    at::mul_out(x, pp.narrow(1, kPartInc, 1), frame_index_);
    x.add_(pp.narrow(1, kPartPhase, 1)).frac_().mul_(kTwoPi).sin_().mul_(pp.narrow(1, kPartAmp, 1));
    // Each partial row's time since note-on is its voice's.
    torch::Tensor decay3 = decay.view({voices, k, chunk_frames_});
    at::mul_out(decay3, t.unsqueeze(1), pp.narrow(1, kPartDecay, 1).reshape({voices, k, 1}));
    x.mul_(decay.exp_());
    at::sum_out(sig, x.view({voices, k, chunk_frames_}), {1});
  }

  void render_bass(const torch::Tensor& params, torch::Tensor sig) {
    at::mul_out(sig, params.narrow(1, kInc, 1), frame_index_);
    sig.add_(params.narrow(1, kPhase, 1)).frac_().mul_(kTwoPi).sin_();
    sig.mul_(params.narrow(1, kAux, 1)).tanh_().mul_(params.narrow(1, kAux2, 1));
  }

  void render_kick(const torch::Tensor& params, torch::Tensor sig, const torch::Tensor& t) {
    using namespace patches::kick;
    const std::int64_t n = params.size(0);
    torch::Tensor sweep = work_[0].narrow(0, 0, n);
    at::mul_out(sweep, t, -1.0 / (kSweepTimeConstantS * kSr));
    sweep.exp_().neg_().add_(1.0).mul_(params.narrow(1, kAux, 1));
    at::mul_out(sig, t, params.narrow(1, kInc, 1));
    sig.add_(sweep).frac_().mul_(kTwoPi).sin_();
  }

  // voice::hash32 on int64 lanes, masked to 32 bits after every product (multipliers < 2^31,
  // so no signed overflow); then the top 24 bits to [-1, 1).
  void render_noise(const torch::Tensor& base, torch::Tensor sig) {
    constexpr std::int64_t kMask = 0xffffffffLL;
    torch::Tensor x = at::add(base, frame_index_long_).bitwise_and_(kMask);
    const auto xor_shift = [&](int s) { x.bitwise_xor_(x.__rshift__(s)); };
    xor_shift(16);
    x.mul_(static_cast<std::int64_t>(voice::kHashMul1)).bitwise_and_(kMask);
    xor_shift(15);
    x.mul_(static_cast<std::int64_t>(voice::kHashMul2)).bitwise_and_(kMask);
    xor_shift(12);
    x.mul_(static_cast<std::int64_t>(voice::kHashMul3)).bitwise_and_(kMask);
    xor_shift(15);
    sig.copy_(x.__rshift__(8));
    sig.mul_(static_cast<double>(voice::kNoiseScale)).sub_(1.0);
  }

  // Closed-form ADSR (voice::envelope_reference) on every row; zero before note-on and after
  // the release through the clamps.
  void apply_envelope(const torch::Tensor& params, torch::Tensor& sig, const torch::Tensor& t,
                      std::int64_t rows) {
    torch::Tensor held = work_[0].narrow(0, 0, rows);
    torch::Tensor attack = work_[1].narrow(0, 0, rows);
    torch::Tensor decay = work_[2].narrow(0, 0, rows);
    const torch::Tensor gate = params.narrow(1, kGate, 1);
    at::minimum_out(held, t, gate);
    at::mul_out(attack, held, params.narrow(1, kInvAttack, 1));
    attack.clamp_(0.0, 1.0);
    pow_curve(attack);
    at::sub_out(decay, held, params.narrow(1, kAttack, 1));
    decay.mul_(params.narrow(1, kInvDecay, 1)).clamp_(0.0, 1.0).neg_().add_(1.0);
    pow_curve(decay);
    decay.mul_(params.narrow(1, kOneMinusSustain, 1)).add_(params.narrow(1, kSustain, 1));
    at::sub_out(held, t, gate);  // now the release ramp
    held.mul_(params.narrow(1, kInvRelease, 1)).clamp_(0.0, 1.0).neg_().add_(1.0);
    pow_curve(held);
    sig.mul_(attack).mul_(decay).mul_(held);
  }

  void store(const torch::Tensor& out, std::span<const RenderJob* const> jobs,
             std::span<Stems* const> outs, std::int64_t c) {
    const torch::Tensor host = out.contiguous();
    const float* data = host.data_ptr<float>();
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const auto [from, to] = chunk_span(*jobs[j], j, c);
      if (from >= to) continue;
      const std::int64_t src_offset = from - (origins_[j] + c * chunk_frames_);
      const std::int64_t dst_offset = from - jobs[j]->start_frame;
      for (int l = 0; l < music::kLayerCount; ++l) {
        for (int ch = 0; ch < 2; ++ch) {
          const std::size_t row = j * kOutRowsPerJob + static_cast<std::size_t>(l) * 2 + ch;
          const float* src = data + static_cast<std::int64_t>(row) * chunk_frames_ + src_offset;
          auto dst = outs[j]->plane(static_cast<music::Layer>(l), ch);
          std::memcpy(dst.data() + dst_offset, src,
                      static_cast<std::size_t>(to - from) * sizeof(float));
        }
      }
    }
  }

  // Host vectors wrap as tensors without a copy on the CPU; one upload each on a GPU.
  template <typename T>
  torch::Tensor upload(std::vector<T>& host, std::vector<std::int64_t> shape, torch::Dtype dtype) {
    const torch::Tensor view =
        torch::from_blob(host.data(), shape, torch::TensorOptions().dtype(dtype));
    return device_.is_cpu() ? view : view.to(device_);
  }

  // Work buffers grow to the largest chunk seen and are then reused (no page faults).
  void ensure_capacity(std::int64_t rows, std::int64_t out_rows) {
    const std::int64_t wide_rows = rows * patches::kMaxPartials;  // saws 3, partials 4 per voice
    if (wide_rows > capacity_rows_) {
      capacity_rows_ = std::max<std::int64_t>(wide_rows, 2 * capacity_rows_);
      for (auto& w : work_) w = torch::empty({capacity_rows_, chunk_frames_}, float_opts_);
      sig_buf_ = torch::empty({capacity_rows_, chunk_frames_}, float_opts_);
      t_buf_ = torch::empty({capacity_rows_, chunk_frames_}, float_opts_);
    }
    if (out_rows > capacity_out_rows_) {
      capacity_out_rows_ = out_rows;
      out_buf_ = torch::empty({out_rows, chunk_frames_}, float_opts_);
    }
    if (!row_sum_.defined()) row_sum_ = torch::empty({1, chunk_frames_}, float_opts_);
  }

  torch::Device device_;
  std::int64_t chunk_frames_;
  torch::TensorOptions float_opts_;
  torch::TensorOptions long_opts_;
  torch::Tensor frame_index_;       // (1, chunk) float
  torch::Tensor frame_index_long_;  // (1, chunk) int64
  std::array<torch::Tensor, 4> work_;
  torch::Tensor sig_buf_, t_buf_, out_buf_, row_sum_;
  std::int64_t capacity_rows_ = 0;
  std::int64_t capacity_out_rows_ = 0;

  std::vector<std::int64_t> origins_;  // per job: the grid frame its first chunk starts at
  std::vector<ActiveVoice> active_;
  std::array<std::size_t, kKernelCount + 1> kernel_rows_{};
  std::vector<float> host_params_, host_saws_, host_partials_;
  struct RowRun {
    std::int64_t first;
    std::int64_t count;
    std::size_t job;
    int layer;
    float curve;
  };
  std::vector<RowRun> mix_runs_;    // rows of one job and layer: summed into two output rows
  std::vector<RowRun> curve_runs_;  // rows sharing an envelope curve: one scalar pow each
  std::vector<std::int64_t> host_noise_;
};

}  // namespace

std::unique_ptr<Engine> make_torch_engine(const std::string& device, int threads) {
  return std::make_unique<TorchEngine>(parse_device(device), threads);
}

std::unique_ptr<Engine> make_torch_engine(const std::string& device) {
  return make_torch_engine(device, 1);
}

bool torch_engine_available() {
  return true;
}

}  // namespace auralis::synthesis
