// Creates, finds, re-parameterises and ends sessions; owns the render engine pools, the pacer
// (one media thread releasing every session's packets in real time) and the render metrics.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auralis/config/config.hpp"
#include "auralis/devices/clock.hpp"
#include "auralis/devices/render_metrics.hpp"
#include "auralis/devices/render_pool.hpp"
#include "auralis/server/session_registry.hpp"

namespace auralis::server {

struct EngineSummary {
  std::string name;    // "torch", "cpu"
  std::string device;  // "cpu", "cuda:0"
  int workers = 0;
};

struct CreateSession {
  std::optional<std::string> id;    // generated when absent
  std::string name;
  music::SessionParams params;
  std::uint64_t first_phrase = 0;   // resume a stored session
  std::optional<std::chrono::system_clock::time_point> created_at;
  bool pinned = false;
};

class SessionManager {
 public:
  SessionManager(const config::Config& config, boost::asio::io_context& media, devices::Clock& clock);
  ~SessionManager();

  // Throws std::invalid_argument for bad params, std::runtime_error("exists") for a taken id.
  std::shared_ptr<Session> create(const CreateSession& request);
  std::shared_ptr<Session> find(const std::string& id) const { return registry_.find(id); }
  std::vector<std::shared_ptr<Session>> all() const { return registry_.all(); }
  std::size_t size() const { return registry_.size(); }
  // Closes the session (listeners get a clean end) and forgets it; false when unknown.
  bool remove(const std::string& id, const std::string& reason);
  void close_all(const std::string& reason);

  const std::vector<EngineSummary>& engines() const { return engines_; }
  std::shared_ptr<devices::RenderMetrics> metrics() const { return metrics_; }
  // Sessions whose stream is running and whose look-ahead holds (for /readyz).
  bool ready() const;

  // Called after a session is created or removed (persistence hooks).
  std::function<void(const std::shared_ptr<Session>&)> on_created;
  std::function<void(const std::string&)> on_removed;
  std::function<void(const std::shared_ptr<Session>&)> on_changed;

 private:
  void start_pacer(const std::shared_ptr<Session>& session);
  void schedule_idle_check();

  std::unique_ptr<boost::asio::steady_timer> idle_timer_;
  std::map<std::string, std::chrono::steady_clock::time_point> idle_since_;  // media thread only

  const config::Config& config_;
  boost::asio::io_context& media_;
  devices::Clock& clock_;
  std::shared_ptr<devices::RenderMetrics> metrics_ = std::make_shared<devices::RenderMetrics>();
  std::vector<std::unique_ptr<devices::RenderPool>> pools_;  // in chain order
  std::vector<EngineSummary> engines_;
  SessionRegistry registry_;
};

std::string random_session_id();

}  // namespace auralis::server
