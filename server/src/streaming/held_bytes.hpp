// A listener's share of the daemon-wide "bytes held for listeners" gauge: set() moves the
// gauge by the change, the destructor gives the listener's share back.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace auralis::server {

class HeldBytes {
 public:
  explicit HeldBytes(std::shared_ptr<std::atomic<std::int64_t>> gauge) : gauge_(std::move(gauge)) {}
  HeldBytes(const HeldBytes&) = delete;
  HeldBytes& operator=(const HeldBytes&) = delete;
  ~HeldBytes() { set(0); }

  void set(std::size_t bytes) {
    const auto now = static_cast<std::int64_t>(bytes);
    if (gauge_ && now != held_) gauge_->fetch_add(now - held_, std::memory_order_relaxed);
    held_ = now;
  }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> gauge_;
  std::int64_t held_ = 0;
};

}  // namespace auralis::server
