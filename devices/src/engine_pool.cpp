#include "auralis/devices/engine_pool.hpp"

#include "auralis/devices/log.hpp"

namespace auralis::devices {

EnginePool::EnginePool(int threads, const EngineFactory& factory) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) engines_.push_back(factory());
  engine_name_ = std::string(engines_.front()->name());
  device_ = engines_.front()->device();
  for (auto& engine : engines_) workers_.emplace_back([this, e = engine.get()] { run(*e); });
}

EnginePool::~EnginePool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    tasks_.clear();
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void EnginePool::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

std::size_t EnginePool::queued() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

void EnginePool::run(synthesis::Engine& engine) {
  synthesis::Stems stems;
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      task(engine, stems);
    } catch (const std::exception& e) {
      // A task reports its own failures; this only keeps a worker alive if one escapes.
      log::get("devices")->error("render task escaped with an exception: {}", e.what());
    }
  }
}

}  // namespace auralis::devices
