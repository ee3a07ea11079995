#include "deploy/icecast_publisher.hpp"

#include <boost/asio/post.hpp>

#include "auralis/config/log.hpp"
#include "auralis/version.hpp"
#include "sessions/session_manager.hpp"

namespace asio = boost::asio;

namespace auralis::server {
namespace {

IcecastSettings icecast_settings(const config::Config& config) {
  IcecastSettings s;
  s.host = config.icecast.host;
  s.port = config.icecast.port;
  s.mount = config.icecast.mount;
  s.user = config.icecast.user;
  s.password = config.icecast.password;
  s.tls = config.icecast.tls;
  s.tls_verify = config.icecast.tls_verify;
  s.name = config.icecast.name.empty() ? config.stream_name : config.icecast.name;
  s.description = config.stream_description;
  s.user_agent = std::string("auralis/") + kVersion;
  // A source is bounded like a listener.
  s.queue.max_age = std::chrono::milliseconds(config.listener_queue_ms);
  s.queue.max_bytes = static_cast<std::size_t>(config.listener_queue_kib) * 1024;
  s.write_timeout = std::chrono::seconds(config.write_timeout_s);
  return s;
}

}  // namespace

IcecastPublisher::IcecastPublisher(asio::io_context& net, SessionManager& sessions)
    : net_(net), sessions_(sessions), strand_(asio::make_strand(net)), retry_(strand_) {}

void IcecastPublisher::start(const config::Config& config) {
  asio::post(strand_, [this, config] {
    config_ = config;
    start_on_strand();
  });
}

void IcecastPublisher::restart(const config::Config& config) {
  asio::post(strand_, [this, config] {
    stop_on_strand();
    config_ = config;
    start_on_strand();
  });
}

void IcecastPublisher::stop() {
  asio::post(strand_, [this] {
    stopped_ = true;
    stop_on_strand();
  });
}

IcecastStatus IcecastPublisher::status() const {
  std::lock_guard lock(source_mutex_);
  return source_ ? source_->status() : IcecastStatus{};
}

void IcecastPublisher::start_on_strand() {
  if (stopped_ || !config_.icecast.enabled) return;
  auto session = sessions_.find(config_.icecast.session);
  if (!session) {
    // It may be created later (restored, or through the API): look again.
    log::get("icecast")->warn("icecast.session '{}' does not exist (yet); looking again in 5 s",
                              config_.icecast.session);
    retry_.expires_after(std::chrono::seconds(5));
    retry_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) start_on_strand();
    });
    return;
  }
  try {
    auto source =
        std::make_shared<IcecastSource>(net_.get_executor(), session, icecast_settings(config_));
    source->start();
    std::lock_guard lock(source_mutex_);
    source_ = std::move(source);
  } catch (const std::exception& e) {
    log::get("icecast")->error("not pushing to Icecast: {}", e.what());
  }
}

void IcecastPublisher::stop_on_strand() {
  retry_.cancel();
  std::shared_ptr<IcecastSource> source;
  {
    std::lock_guard lock(source_mutex_);
    source = std::move(source_);
  }
  if (source) source->stop();
}

}  // namespace auralis::server
