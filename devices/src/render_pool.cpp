#include "auralis/devices/render_pool.hpp"

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "auralis/config/log.hpp"
#include "auralis/synthesis/render_mix.hpp"

namespace auralis::devices {
namespace {
// An injected delay is slept in slices so that a changed or removed fault takes effect at once.
constexpr auto kFaultSlice = std::chrono::milliseconds(100);

// Renders have the whole look-ahead (tens of seconds) of slack, the pacer ~100 ms: under CPU
// contention render workers must yield to the media thread, or every listener hears a gap.
// Linux applies a nice value per thread.
constexpr int kRenderNice = 10;
void lower_render_thread_priority() {
#if defined(__linux__)
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (current < kRenderNice && ::setpriority(PRIO_PROCESS, tid, kRenderNice) != 0) {
    // E.g. a seccomp filter without setpriority: say so, the service still runs.
    const int error = errno;
    log::get("devices")->warn("render worker stays at nice {}: setpriority: {}", current,
                              std::strerror(error));
  }
#endif
}

// Silence the Mixer rings out before a unit, at most a second at a time.
void ring_out(synthesis::Mixer& mixer, std::int64_t frames,
              const synthesis::MixControls& controls) {
  if (frames <= 0) return;
  const std::int64_t chunk = synthesis::kSampleRate;
  std::vector<float> scratch(static_cast<std::size_t>(2 * std::min(chunk, frames)));
  for (std::int64_t left = frames; left > 0;) {
    const std::int64_t n = std::min(left, chunk);
    mixer.process_silence(controls, n, {scratch.data(), static_cast<std::size_t>(2 * n)});
    left -= n;
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A task without its Mixer gets one: a copy of the snapshot, brought to the job's start by
// rendering the units since it again (their audio is dropped). Returns the time it took.
synthesis::RenderMixTimes rebuild_mixer(synthesis::Engine& engine, RenderRequest& request,
                                        synthesis::Stems& window_stems) {
  MixTask& task = *request.mix;
  synthesis::RenderMixTimes times;
  if (task.mixer) return times;
  if (!task.from.snapshot) throw std::logic_error("a render task with neither Mixer nor snapshot");
  const auto t0 = std::chrono::steady_clock::now();
  task.mixer.emplace(*task.from.snapshot);
  std::vector<float> dropped;
  for (const ReplayStep& step : task.from.since) {
    ring_out(*task.mixer, step.ring_out_frames, step.ring_out_controls);
    dropped.resize(static_cast<std::size_t>(2 * step.job->frames));
    const auto t = synthesis::render_and_mix(engine, *step.job, *task.mixer, window_stems, dropped,
                                             request.cancelled.get());
    times.render_s += t.render_s;
  }
  times.mix_s = seconds_since(t0) - times.render_s;
  return times;
}

// A job taken alone: ring out, then render and mix it window by window.
void finish(synthesis::Engine& engine, RenderRequest& request, synthesis::Stems& window_stems,
            RenderResult& result) {
  MixTask& task = *request.mix;
  const auto rebuilt = rebuild_mixer(engine, request, window_stems);
  const auto t0 = std::chrono::steady_clock::now();
  ring_out(*task.mixer, task.ring_out_frames, task.ring_out_controls);
  const double ring_s = seconds_since(t0);
  result.pcm.assign(static_cast<std::size_t>(2 * request.job->frames), 0.0f);
  // A job given up on (deadline, re-plan) stops at the next window instead of finishing.
  const auto times = synthesis::render_and_mix(engine, *request.job, *task.mixer, window_stems,
                                               result.pcm, request.cancelled.get());
  result.seconds = rebuilt.render_s + times.render_s;
  result.mix_seconds = rebuilt.mix_s + ring_s + times.mix_s;
  result.mixer = std::move(task.mixer);
}

// A batch member's dry stems through its Mixer.
void mix_stems(const synthesis::RenderJob& job, const synthesis::Stems& stems, MixTask& task,
               RenderResult& result) {
  const auto t0 = std::chrono::steady_clock::now();
  ring_out(*task.mixer, task.ring_out_frames, task.ring_out_controls);
  result.pcm.assign(static_cast<std::size_t>(2 * job.frames), 0.0f);
  task.mixer->process(job, stems, result.pcm);
  result.mix_seconds += seconds_since(t0);
  result.mixer = std::move(task.mixer);
}

void deliver(RenderRequest& request, RenderResult result) {
  try {
    request.done(std::move(result));
  } catch (const std::exception& e) {
    log::get("devices")->error("render completion handler threw: {}", e.what());
  }
}
}  // namespace

RenderPool::RenderPool(int threads, const EngineFactory& factory, int max_batch, Clock& clock)
    : clock_(clock), max_batch_(std::max(1, max_batch)) {
  for (int i = 0; i < std::max(1, threads); ++i) engines_.push_back(factory());
  engine_name_ = std::string(engines_.front()->name());
  device_ = engines_.front()->device();
  for (auto& engine : engines_) workers_.emplace_back([this, e = engine.get()] { run(*e); });
}

RenderPool::~RenderPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  stop_.request_stop();  // workers asleep in an injected delay (possibly on a manual clock)
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void RenderPool::submit(RenderRequest request) {
  {
    std::lock_guard lock(mutex_);
    // Requests given up while queued (a unit handed down the chain, a replaced change) go at
    // once: each holds a copy of its session's Mixer, and an engine stalled in an injected
    // delay would otherwise keep one per unit (23 a second) until it wakes.
    std::erase_if(queue_, [](const RenderRequest& r) { return r.cancelled && *r.cancelled; });
    // Earliest due first; equal dues keep their order of arrival.
    const auto at =
        std::upper_bound(queue_.begin(), queue_.end(), request.due,
                         [](Clock::time_point due, const RenderRequest& r) { return due < r.due; });
    queue_.insert(at, std::move(request));
  }
  wake_.notify_one();
}

bool RenderPool::busy() const {
  std::lock_guard lock(mutex_);
  if (running_ > 0) return true;
  // Queued jobs progress only when a worker is free to take them (not asleep in a delay).
  const int free_workers = threads() - running_ - static_cast<int>(sleeping_until_.size());
  if (!queue_.empty() && free_workers > 0) return true;
  return !sleeping_until_.empty() && *sleeping_until_.begin() <= clock_.now();
}

void RenderPool::run(synthesis::Engine& engine) {
  lower_render_thread_priority();
  std::vector<RenderRequest> batch;
  // Stems buffers the mixers have finished with, for this worker's next renders: a phrase's
  // stems are tens of MB, and a reused buffer needs neither zeroing nor fresh pages, and keeps
  // the engine's silence flags (silent layers are not written again). One per batch slot at most.
  std::vector<std::shared_ptr<synthesis::Stems>> spare;
  // One window of stems for jobs rendered and mixed alone.
  synthesis::Stems window_stems;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
        if (!queue_.front().cancelled || !*queue_.front().cancelled)
          batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (batch.empty()) continue;
      ++running_;
    }

    const EngineFaults faults = faults_.get();
    if (faults.delay.count() > 0) {
      // Asleep on the pool's clock: not "busy" until the wake time comes. The delay is re-read
      // every slice, so removing the fault (or shortening it) ends the sleep early.
      std::unique_lock lock(mutex_);
      --running_;
      const auto began = clock_.now();
      bool stopped = false;
      for (;;) {
        const auto wake = began + faults_.get().delay;
        const auto now = clock_.now();
        if (now >= wake) break;
        const auto slice_end = std::min<Clock::time_point>(wake, now + kFaultSlice);
        const auto it = sleeping_until_.insert(slice_end);
        lock.unlock();
        const bool reached = clock_.sleep_until(slice_end, stop_.get_token());
        lock.lock();
        sleeping_until_.erase(it);
        if (!reached || stopping_) {
          stopped = true;
          break;
        }
      }
      if (stopped) return;
      // Jobs given up during the delay are not worth rendering.
      std::erase_if(batch, [](const RenderRequest& r) { return r.cancelled && *r.cancelled; });
      if (batch.empty()) continue;
      ++running_;
    }
    bool inject_failure = false;
    if (faults.failure_probability > 0) {
      std::lock_guard lock(mutex_);
      inject_failure =
          std::uniform_real_distribution<double>(0, 1)(fault_rng_) < faults.failure_probability;
    }

    RenderResult common;
    common.engine = engine_name_;
    common.batch_size = static_cast<int>(batch.size());
    if (batch.size() == 1 && batch.front().mix) {
      // One job to finish: rendered and mixed window by window.
      RenderRequest& request = batch.front();
      RenderResult result = common;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        if (inject_failure) throw std::runtime_error("injected failure ([faults])");
        finish(engine, request, window_stems, result);
        result.ok = true;
      } catch (const std::exception& e) {
        result.error = e.what();
        result.seconds = seconds_since(t0);
        result.pcm = {};
        result.mixer.reset();
      }
      deliver(request, std::move(result));
    } else {
      // Mixers to rebuild first (after a fallback or a change), each on its own.
      std::vector<synthesis::RenderMixTimes> rebuilt(batch.size());
      std::vector<std::string> rebuild_error(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!batch[i].mix) continue;
        try {
          rebuilt[i] = rebuild_mixer(engine, batch[i], window_stems);
        } catch (const std::exception& e) {
          rebuild_error[i] = e.what();
        }
      }
      std::vector<const synthesis::RenderJob*> jobs;
      std::vector<std::shared_ptr<synthesis::Stems>> outs;
      std::vector<synthesis::Stems*> out_ptrs;
      for (auto& r : batch) {
        jobs.push_back(r.job.get());
        if (spare.empty()) {
          outs.push_back(std::make_shared<synthesis::Stems>());
        } else {
          outs.push_back(std::move(spare.back()));
          spare.pop_back();
        }
        out_ptrs.push_back(outs.back().get());
      }
      const auto t0 = std::chrono::steady_clock::now();
      try {
        if (inject_failure) throw std::runtime_error("injected failure ([faults])");
        engine.render_batch(jobs, out_ptrs);
        common.ok = true;
      } catch (const std::exception& e) {
        common.error = e.what();
      }
      common.seconds = seconds_since(t0);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        RenderResult result = common;
        result.seconds += rebuilt[i].render_s;
        result.mix_seconds = rebuilt[i].mix_s;
        if (!rebuild_error[i].empty()) {
          result.ok = false;
          result.error = rebuild_error[i];
        }
        if (result.ok) {
          if (batch[i].mix) {
            try {
              mix_stems(*batch[i].job, *outs[i], *batch[i].mix, result);
            } catch (const std::exception& e) {
              result.ok = false;
              result.error = e.what();
            }
          } else {
            result.stems = outs[i];
          }
        }
        deliver(batch[i], std::move(result));
        // Only a buffer nobody kept (the mix is done with it) is reused. use_count() is a
        // relaxed read: the fence orders this worker's next writes after another thread's
        // last reads, should a handler ever pass the stems on.
        if (outs[i].use_count() == 1 && static_cast<int>(spare.size()) < max_batch_) {
          std::atomic_thread_fence(std::memory_order_acquire);
          spare.push_back(std::move(outs[i]));
        }
      }
    }
    std::lock_guard lock(mutex_);
    --running_;
  }
}

}  // namespace auralis::devices
