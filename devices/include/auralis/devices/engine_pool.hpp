// A pool of render worker threads; each worker owns its own engine instance and scratch stems,
// so engines need not be thread-safe and no buffer is allocated per job.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auralis/synthesis/engine.hpp"
#include "auralis/synthesis/stems.hpp"

namespace auralis::devices {

class EnginePool {
 public:
  using EngineFactory = std::function<std::unique_ptr<synthesis::Engine>()>;
  using Task = std::function<void(synthesis::Engine&, synthesis::Stems&)>;

  // Creates `threads` workers, each with factory(); throws what the factory throws.
  EnginePool(int threads, const EngineFactory& factory);
  ~EnginePool();  // drops queued tasks, lets running ones finish, joins the workers
  EnginePool(const EnginePool&) = delete;
  EnginePool& operator=(const EnginePool&) = delete;

  void submit(Task task);
  std::string engine_name() const { return engine_name_; }
  std::string device() const { return device_; }
  int threads() const { return static_cast<int>(workers_.size()); }
  std::size_t queued() const;

 private:
  void run(synthesis::Engine& engine);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<synthesis::Engine>> engines_;
  std::vector<std::thread> workers_;
  std::string engine_name_;
  std::string device_;
};

}  // namespace auralis::devices
