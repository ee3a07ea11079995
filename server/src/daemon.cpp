#include "auralis/server/daemon.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <functional>
#include <random>
#include <thread>

#include "auralis/devices/clock.hpp"
#include "auralis/devices/log.hpp"
#include "auralis/server/session_manager.hpp"
#include "deployment.hpp"
#include "http_session.hpp"
#include "routes.hpp"
#include "tls_context.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace auralis::server {
namespace {

std::uint64_t random_seed() {
  std::random_device rd;
  return ((static_cast<std::uint64_t>(rd()) << 21) ^ rd()) & 0x1fffffffffffffULL;
}

// Either TLS key set means TLS is wanted (make_tls_context names the missing one).
bool tls_wanted(const config::Config& c) {
  return !c.tls_cert.empty() || !c.tls_key.empty();
}
}  // namespace

struct Daemon::Impl {
  config::Config config;
  asio::io_context net{config.io_threads};
  const int media_threads = config.media_threads > 0
                                ? config.media_threads
                                : static_cast<int>(std::max(1u,
                                                            std::thread::hardware_concurrency()));
  asio::io_context media{media_threads};
  tcp::acceptor acceptor{net};
  std::shared_ptr<ListenerMetrics> metrics = std::make_shared<ListenerMetrics>();
  SessionManager sessions{config, media, devices::steady_clock()};
  Routes routes{config, sessions, metrics};
  // server.tls_cert/tls_key: the port serves HTTPS/WSS besides plain HTTP (null: plain only).
  // SIGHUP re-reads the files (certificate renewal) for connections made from then on.
  TlsContextSlot tls{tls_wanted(config) ? make_tls_context(config.tls_cert, config.tls_key)
                                        : nullptr};

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  // Deployment: session store, systemd notification, SIGHUP reload, Icecast source.
  std::unique_ptr<Deployment> deploy;
  std::function<config::Config()> reload_config;

  explicit Impl(const config::Config& c) : config(c) {}

  void bind() {
    const auto address = asio::ip::make_address(config.listen_host);
    const tcp::endpoint endpoint(address, config.listen_port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    acceptor.non_blocking(true);  // accept() below drains the backlog without blocking
  }

  void accept() {
    acceptor.async_accept(
        asio::make_strand(net), [this](boost::system::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor)
            return;  // closed
          if (!ec) {
            start_http_session(std::move(socket), routes, tls.get());
            // A completion waits its turn behind every queued listener write, so one accept per
            // turn caps new connections at a few per second under fan-out load: take the others
            // already in the backlog now.
            for (int i = 0; i < 256; ++i) {
              tcp::socket next(asio::make_strand(net));
              boost::system::error_code more;
              acceptor.accept(next, more);
              if (more) break;  // would_block: the backlog is empty
              start_http_session(std::move(next), routes, tls.get());
            }
          } else {
            log::get("server")->warn("accept failed: {}", ec.message());
          }
          accept();
        });
  }

  // SIGHUP: the live keys the network side owns. TLS files are read again even when their paths
  // did not change (a renewed certificate); a file that fails keeps the running context.
  void apply_live(const config::Config& next) {
    routes.apply_live(next);
    auto log = log::get("server");
    if (!tls_wanted(next)) {
      if (tls.get())
        log->warn(
            "TLS off: server.tls_cert and server.tls_key are empty; new connections get plain HTTP "
            "only");
      tls.set(nullptr);
      return;
    }
    try {
      auto context = make_tls_context(next.tls_cert, next.tls_key);
      log->info("TLS certificate loaded for new connections from {} ({})", next.tls_cert,
                describe_certificate(*context));
      tls.set(std::move(context));
    } catch (const std::exception& e) {
      log->error("TLS reload failed, the running certificate stays: {}", e.what());
    }
  }

  void request_stop() {
    {
      std::lock_guard lock(stop_mutex);
      stop_requested = true;
    }
    stop_cv.notify_all();
  }
};

Daemon::Daemon(const config::Config& config) : impl_(std::make_unique<Impl>(config)) {
  impl_->bind();
  impl_->deploy = std::make_unique<Deployment>(config, impl_->net, impl_->media);
  auto log = log::get("server");
  log->info("listening on http://{}:{} ({} network thread(s), {} media thread(s))",
            config.listen_host, port(), config.io_threads, impl_->media_threads);
  if (const auto tls = impl_->tls.get()) {
    log->info("TLS on: https://{0}:{1} and wss://{0}:{1} on the same port ({2}: {3})",
              config.listen_host, port(), config.tls_cert, describe_certificate(*tls));
  }
  if (!config.default_session.empty()) {
    music::SessionParams params = config.session;
    if (config.session_seed_random) params.seed = random_seed();
    impl_->sessions.create(
        {config.default_session, config.default_session, params, 0, std::nullopt, true});
    log->info("default session: http://{}:{}/stream/{}.ogg (seed {})", config.listen_host, port(),
              config.default_session, params.seed);
  }
  {  // Deployment: start the Icecast source and the watchdog; READY=1 once playing.
    DeploymentHooks hooks;
    Impl* im = impl_.get();
    hooks.find_session = [im](const std::string& id) { return im->sessions.find(id); };
    hooks.playing = [im] {
      const auto s = im->sessions.find(im->config.default_session);
      return !s || s->started();
    };
    hooks.reload_config = [im] {
      if (!im->reload_config) throw config::ConfigError("no command line to re-read");
      return im->reload_config();
    };
    hooks.apply_live = [im](const config::Config& next) { im->apply_live(next); };
    impl_->deploy->attach(impl_->sessions, config.default_session);  // restore, then persist
    impl_->deploy->started(std::move(hooks));
  }
}

Daemon::~Daemon() = default;

unsigned short Daemon::port() const {
  return impl_->acceptor.local_endpoint().port();
}

int Daemon::run(bool handle_signals) {
  Impl& im = *impl_;
  asio::signal_set signals(im.net);
  std::function<void(boost::system::error_code, int)> on_signal;  // lives as long as run()
  if (handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.add(SIGHUP);  // Deployment: reload the configuration
    on_signal = [&im, &signals, &on_signal](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        log::get("server")->info("SIGHUP received: reloading the configuration");
        im.deploy->reload();
        signals.async_wait(on_signal);
        return;
      }
      log::get("server")->info("signal {} received: shutting down", signal);
      im.request_stop();
    };
    signals.async_wait(on_signal);
  }
  im.accept();
  auto net_guard = asio::make_work_guard(im.net);
  auto media_guard = asio::make_work_guard(im.media);
  std::vector<std::thread> threads;
  for (int i = 0; i < im.config.io_threads; ++i) threads.emplace_back([&im] { im.net.run(); });
  for (int i = 0; i < im.media_threads; ++i) threads.emplace_back([&im] { im.media.run(); });

  {
    std::unique_lock lock(im.stop_mutex);
    im.stop_cv.wait(lock, [&im] { return im.stop_requested; });
  }

  // Orderly shutdown: stop accepting, end every stream (listeners get a clean close), then stop
  // the pacers and the network.
  asio::post(im.net, [&im] {
    boost::system::error_code ec;
    im.acceptor.close(ec);
  });
  im.deploy->stopping();  // Deployment: STOPPING=1, Icecast source ends
  signals.cancel();
  im.sessions.close_all("daemon stopping");
  net_guard.reset();
  media_guard.reset();
  // Listeners finish their close on the network threads; give them a moment, then stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  im.net.stop();
  im.media.stop();
  for (auto& t : threads) t.join();
  log::get("server")->info("stopped");
  return 0;
}

void Daemon::stop() {
  impl_->request_stop();
}

void Daemon::set_config_reloader(std::function<config::Config()> reload) {
  impl_->reload_config = std::move(reload);
}

}  // namespace auralis::server
