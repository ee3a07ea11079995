// A pool of render workers for one engine kind. Each worker owns its engine; a worker takes
// every queued job (up to max_batch, e.g. several sessions' phrases) and renders them in one
// Engine::render_batch pass, which the LibTorch engine turns into one tensor pass. A request
// that brings its session's Mixer state is finished on the worker too: a job taken alone goes
// through synthesis::render_and_mix (the CPU engine's dry stems reach the Mixer window by
// window, through the cache), a batch's jobs are mixed after the batched pass.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "auralis/devices/clock.hpp"
#include "auralis/devices/faults.hpp"
#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/mixer.hpp"

namespace auralis::devices {

// One finished unit between a Mixer snapshot and a later unit: silence rung out, then the job.
struct ReplayStep {
  std::shared_ptr<const synthesis::RenderJob> job;
  std::int64_t ring_out_frames = 0;
  synthesis::MixControls ring_out_controls;
};

// The session's Mixer as it stands at some unit's start, without copying it there: a snapshot
// taken a few units earlier and the units rendered since. The worker brings a copy of the
// snapshot up to date by rendering those units again (only after a fallback or a change).
struct MixerFrom {
  std::shared_ptr<const synthesis::Mixer> snapshot;
  std::vector<ReplayStep> since;
};

// What the worker needs to turn a job into finished audio: the session's Mixer as it stands
// at the job's start (handed over, or to be rebuilt from `from`), and silence it must ring out
// first (units that played as silence).
struct MixTask {
  std::optional<synthesis::Mixer> mixer;  // empty: rebuilt from `from`
  std::int64_t ring_out_frames = 0;
  synthesis::MixControls ring_out_controls;
  MixerFrom from;
};

struct RenderResult {
  bool ok = false;
  std::string error;   // why not ok
  std::string engine;  // "torch", "cpu"
  double seconds = 0;  // wall time of the render (a batch's pass, or this job's windows)
  int batch_size = 1;
  // Without a MixTask: the dry stems.
  std::shared_ptr<synthesis::Stems> stems;
  // With one: the finished interleaved stereo, the Mixer after it, and the time mixing took.
  std::vector<float> pcm;
  std::optional<synthesis::Mixer> mixer;
  double mix_seconds = 0;
};

struct RenderRequest {
  std::shared_ptr<const synthesis::RenderJob> job;
  std::shared_ptr<std::atomic<bool>> cancelled;  // set when the scheduler gave up on it
  std::optional<MixTask> mix;                    // finish the job on the worker
  std::function<void(RenderResult)> done;        // called on the worker thread
  // When the result is needed: workers take the earliest first (a unit rendering a live change
  // goes before units still far ahead of playback), so a batch is what is due together.
  Clock::time_point due = Clock::time_point::max();
};

class RenderPool {
 public:
  using EngineFactory = std::function<std::unique_ptr<synthesis::Engine>()>;

  RenderPool(int threads, const EngineFactory& factory, int max_batch, Clock& clock);
  ~RenderPool();  // drops queued jobs, lets running ones finish, joins
  RenderPool(const RenderPool&) = delete;
  RenderPool& operator=(const RenderPool&) = delete;

  void submit(RenderRequest request);

  const std::string& engine_name() const { return engine_name_; }
  const std::string& device() const { return device_; }
  int threads() const { return static_cast<int>(workers_.size()); }
  FaultSwitch& faults() { return faults_; }

  // Jobs rendering, or queued with a worker free to take them; workers asleep in an injected
  // delay whose wake time has not come do not count (for tests driving a manual clock:
  // "settled" means only the clock can make progress). A sleeper whose time has come counts as
  // busy until it is running again.
  bool busy() const;

 private:
  void run(synthesis::Engine& engine);

  Clock& clock_;
  const int max_batch_;
  FaultSwitch faults_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<RenderRequest> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::stop_source stop_;                            // interrupts injected-delay sleeps
  std::multiset<Clock::time_point> sleeping_until_;  // wake times of workers in an injected delay
  std::mt19937_64 fault_rng_{0x5eed};
  std::vector<std::unique_ptr<synthesis::Engine>> engines_;
  std::vector<std::thread> workers_;
  std::string engine_name_;
  std::string device_;
};

}  // namespace auralis::devices
