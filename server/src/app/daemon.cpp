// The daemon wires the rooms together: connections (http/) answer through the API (api/),
// which drives the sessions (sessions/) whose pages the listeners fan out (streaming/); the
// deployment side (deploy/) keeps sessions across restarts, talks to systemd, reloads the
// configuration on SIGHUP and publishes to Icecast.
#include "auralis/server/daemon.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <condition_variable>
#include <thread>

#include "api/routes.hpp"
#include "app/run_loop.hpp"
#include "auralis/config/log.hpp"
#include "auralis/devices/clock.hpp"
#include "deploy/config_reloader.hpp"
#include "deploy/icecast_publisher.hpp"
#include "deploy/service_watch.hpp"
#include "deploy/session_keeper.hpp"
#include "http/acceptor.hpp"
#include "http/tls_context.hpp"
#include "sessions/session_id.hpp"
#include "sessions/session_manager.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace auralis::server {
namespace {

// Either TLS key set means TLS is wanted (make_tls_context names the missing one).
bool tls_wanted(const config::Config& c) {
  return !c.tls_cert.empty() || !c.tls_key.empty();
}

int media_thread_count(const config::Config& c) {
  return c.media_threads > 0 ? c.media_threads
                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::unique_ptr<SessionKeeper> open_keeper(const config::Config& c, asio::io_context& net) {
  if (c.state_dir.empty()) return nullptr;
  auto keeper =
      std::make_unique<SessionKeeper>(SessionStore::open(c.state_dir), asio::make_strand(net));
  log::get("store")->info("sessions are kept in {}", keeper->store().path().string());
  return keeper;
}

}  // namespace

struct Daemon::Impl {
  config::Config config;
  asio::io_context net{config.io_threads};
  const int media_threads = media_thread_count(config);
  asio::io_context media{media_threads};
  std::shared_ptr<ListenerMetrics> metrics = std::make_shared<ListenerMetrics>();
  SessionManager sessions{config, media, devices::steady_clock()};
  std::unique_ptr<SessionKeeper> keeper = open_keeper(config, net);
  Routes routes{config, sessions, metrics};
  // server.tls_cert/tls_key: the port serves HTTPS/WSS besides plain HTTP (null: plain only).
  TlsContextSlot tls{tls_wanted(config) ? make_tls_context(config.tls_cert, config.tls_key)
                                        : nullptr};
  Acceptor acceptor{net,
                    tcp::endpoint(asio::ip::make_address(config.listen_host), config.listen_port),
                    routes, tls, *metrics};
  ServiceWatch watch{net, media};
  IcecastPublisher icecast{net, sessions};
  ConfigReloader reloader{net, config, watch,
                          [this](const config::Config& next, bool icecast_changed) {
                            apply_live(next, icecast_changed);
                          }};

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  explicit Impl(const config::Config& c) : config(c) {}

  // SIGHUP: the live keys the network side owns. TLS files are read again even when their
  // paths did not change (a renewed certificate); a file that fails keeps the running context.
  void apply_live(const config::Config& next, bool icecast_changed) {
    routes.apply_live(next);
    if (icecast_changed) icecast.restart(next);
    auto log = log::get("server");
    if (!tls_wanted(next)) {
      if (tls.get())
        log->warn(
            "TLS off: server.tls_cert and server.tls_key are empty; new connections get plain "
            "HTTP only");
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

  void start_default_session() {
    if (config.default_session.empty()) return;
    music::SessionParams params = config.session;
    if (config.session_seed_random) params.seed = random_seed();
    SessionSpec spec;
    spec.id = config.default_session;
    spec.name = config.default_session;
    spec.params =
        std::get<music::ValidParams>(music::ValidParams::check(params));  // config checked it
    spec.pinned = true;
    sessions.create(spec, Origin::configured).value();
    log::get("server")->info("default session: http://{}:{}/stream/{}.ogg (seed {})",
                             config.listen_host, acceptor.port(), config.default_session,
                             params.seed);
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
  Impl& im = *impl_;
  auto log = log::get("server");
  log->info("listening on http://{}:{} ({} network thread(s), {} media thread(s))",
            config.listen_host, port(), config.io_threads, im.media_threads);
  if (const auto tls = im.tls.get()) {
    log->info("TLS on: https://{0}:{1} and wss://{0}:{1} on the same port ({2}: {3})",
              config.listen_host, port(), config.tls_cert, describe_certificate(*tls));
  }
  im.start_default_session();
  if (im.keeper) {  // restore, then journal every change
    im.keeper->restore_into(im.sessions, config.default_session);
    im.sessions.set_journal(im.keeper.get());
    im.keeper->start_phrase_writes(im.sessions, config.default_session);
  }
  im.routes.set_icecast_status([&im] { return im.icecast.status(); });
  im.icecast.start(config);
  im.watch.start([&im] {  // READY=1 once the default session plays
    const auto s = im.sessions.find(im.config.default_session);
    return !s || s->started();
  });
}

Daemon::~Daemon() = default;

unsigned short Daemon::port() const {
  return impl_->acceptor.port();
}

int Daemon::run(bool handle_signals) {
  Impl& im = *impl_;
  asio::signal_set signals(im.net);
  std::function<void(boost::system::error_code, int)> on_signal;  // lives as long as run()
  if (handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.add(SIGHUP);  // reload the configuration
    on_signal = [&im, &signals, &on_signal](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        log::get("server")->info("SIGHUP received: reloading the configuration");
        im.reloader.reload();
        signals.async_wait(on_signal);
        return;
      }
      log::get("server")->info("signal {} received: shutting down", signal);
      im.request_stop();
    };
    signals.async_wait(on_signal);
  }
  im.acceptor.start();
  auto net_guard = asio::make_work_guard(im.net);
  auto media_guard = asio::make_work_guard(im.media);
  std::vector<std::thread> threads;
  for (int i = 0; i < im.config.io_threads; ++i)
    threads.emplace_back(
        [&im] { run_with_barrier(im.net, "network", im.metrics->faults_network); });
  for (int i = 0; i < im.media_threads; ++i)
    threads.emplace_back([&im] { run_with_barrier(im.media, "media", im.metrics->faults_media); });

  {
    std::unique_lock lock(im.stop_mutex);
    im.stop_cv.wait(lock, [&im] { return im.stop_requested; });
  }

  // Orderly shutdown: stop accepting, end every stream (listeners get a clean close), then
  // stop the pacers and the network.
  im.acceptor.stop();
  im.watch.stopping();
  if (im.keeper) im.keeper->stop();  // the phrase each session reached, for the next start
  im.icecast.stop();
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
  impl_->reloader.set_source(std::move(reload));
}

}  // namespace auralis::server
