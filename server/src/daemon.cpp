#include "auralis/server/daemon.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
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

// Runs `context` on this thread until it is stopped. An exception escaping a handler ends only
// that handler's work (its connection or session: the objects it held are released); it is
// logged with its cause and counted, and the thread goes back to running the loop (Asio allows
// run() again after a handler threw).
void run_with_barrier(asio::io_context& context, const char* loop,
                      std::atomic<std::uint64_t>& faults) {
  for (;;) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      ++faults;
      log::get("server")->error("{} thread: a handler failed and was dropped: {}", loop, e.what());
    } catch (...) {
      ++faults;
      log::get("server")->error("{} thread: a handler failed and was dropped (unknown exception)",
                                loop);
    }
  }
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
  // The acceptor, its back-off timer and state live on one strand (shutdown closes them from
  // another thread).
  asio::strand<asio::io_context::executor_type> accept_strand = asio::make_strand(net);
  tcp::acceptor acceptor{accept_strand};
  asio::steady_timer accept_timer{accept_strand};
  std::chrono::milliseconds accept_backoff{0};
  std::chrono::steady_clock::time_point accept_logged_at{};
  std::uint64_t accept_errors_unlogged = 0;
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
          if (ec) return accept_failed(ec);
          accept_backoff = std::chrono::milliseconds(0);
          start_http_session(std::move(socket), routes, tls.get());
          // A completion waits its turn behind every queued listener write, so one accept per
          // turn caps new connections at a few per second under fan-out load: take the others
          // already in the backlog now.
          for (int i = 0; i < 256; ++i) {
            tcp::socket next(asio::make_strand(net));
            boost::system::error_code more;
            acceptor.accept(next, more);
            if (more == asio::error::would_block || more == asio::error::try_again) break;
            if (more) return accept_failed(more);
            start_http_session(std::move(next), routes, tls.get());
          }
          accept();
        });
  }

  // Out of descriptors (EMFILE/ENFILE) or kernel memory, the pending connection stays in the
  // backlog and accept fails again at once: wait before the next try (10 ms doubling to 1 s,
  // back to none after a success) instead of spinning, and log at most once per 10 s.
  void accept_failed(boost::system::error_code ec) {
    ++metrics->accept_errors;
    ++accept_errors_unlogged;
    const auto now = std::chrono::steady_clock::now();
    if (now - accept_logged_at >= std::chrono::seconds(10)) {
      log::get("server")->warn("accept failed: {} ({} time(s) since the last report); backing off",
                               ec.message(), accept_errors_unlogged);
      accept_errors_unlogged = 0;
      accept_logged_at = now;
    }
    accept_backoff = std::clamp(accept_backoff * 2, std::chrono::milliseconds(10),
                                std::chrono::milliseconds(1000));
    accept_timer.expires_after(accept_backoff);
    accept_timer.async_wait([this](boost::system::error_code wait_ec) {
      if (!wait_ec && acceptor.is_open()) accept();
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
  for (int i = 0; i < im.config.io_threads; ++i)
    threads.emplace_back([&im] { run_with_barrier(im.net, "network", im.metrics->faults_network); });
  for (int i = 0; i < im.media_threads; ++i)
    threads.emplace_back([&im] { run_with_barrier(im.media, "media", im.metrics->faults_media); });

  {
    std::unique_lock lock(im.stop_mutex);
    im.stop_cv.wait(lock, [&im] { return im.stop_requested; });
  }

  // Orderly shutdown: stop accepting, end every stream (listeners get a clean close), then stop
  // the pacers and the network.
  asio::post(im.accept_strand, [&im] {
    boost::system::error_code ec;
    im.acceptor.close(ec);
    im.accept_timer.cancel();
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
