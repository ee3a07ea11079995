#include "auralis/devices/render_pool.hpp"

#include <chrono>

#include "auralis/devices/log.hpp"

namespace auralis::devices {

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
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void RenderPool::submit(DryRender request) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
}

bool RenderPool::busy() const {
  std::lock_guard lock(mutex_);
  return running_ > 0 || !queue_.empty();
}

void RenderPool::run(synthesis::Engine& engine) {
  std::vector<DryRender> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
        if (!queue_.front().cancelled || !*queue_.front().cancelled) batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (batch.empty()) continue;
      ++running_;
    }

    const EngineFaults faults = faults_.get();
    if (faults.delay.count() > 0) {
      {
        std::lock_guard lock(mutex_);
        --running_;  // asleep on the clock: not "busy"
      }
      clock_.sleep_until(clock_.now() + faults.delay);
      std::lock_guard lock(mutex_);
      ++running_;
    }
    bool inject_failure = false;
    if (faults.failure_probability > 0) {
      std::lock_guard lock(mutex_);
      inject_failure = std::uniform_real_distribution<double>(0, 1)(fault_rng_) < faults.failure_probability;
    }

    std::vector<const synthesis::RenderJob*> jobs;
    std::vector<std::shared_ptr<synthesis::Stems>> outs;
    std::vector<synthesis::Stems*> out_ptrs;
    for (auto& r : batch) {
      jobs.push_back(r.job.get());
      outs.push_back(std::make_shared<synthesis::Stems>());
      out_ptrs.push_back(outs.back().get());
    }
    DryResult common;
    common.engine = engine_name_;
    common.batch_size = static_cast<int>(batch.size());
    const auto t0 = std::chrono::steady_clock::now();
    try {
      if (inject_failure) throw std::runtime_error("injected failure ([faults])");
      engine.render_batch(jobs, out_ptrs);
    } catch (const std::exception& e) {
      common.error = e.what();
    }
    common.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      DryResult result = common;
      if (common.error.empty()) result.stems = std::move(outs[i]);
      try {
        batch[i].done(std::move(result));
      } catch (const std::exception& e) {
        log::get("devices")->error("render completion handler threw: {}", e.what());
      }
    }
    std::lock_guard lock(mutex_);
    --running_;
  }
}

}  // namespace auralis::devices
