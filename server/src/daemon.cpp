#include "auralis/server/daemon.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <random>
#include <thread>

#include "auralis/devices/engine_pool.hpp"
#include "auralis/devices/log.hpp"
#include "auralis/server/session_registry.hpp"
#include "http_session.hpp"
#include "routes.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace auralis::server {
namespace {

devices::EnginePool::EngineFactory engine_factory(const config::Config& config) {
  if (config.engine == "torch") {
    const std::string device = config.device == "auto" ? "cpu" : config.device;
    return [device] { return synthesis::make_torch_engine(device); };
  }
  return [] { return synthesis::make_cpu_engine(); };
}

int worker_count(const config::Config& config) {
  if (config.render_workers > 0) return config.render_workers;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 21) ^ rd();
}

}  // namespace

struct Daemon::Impl {
  config::Config config;
  asio::io_context net{static_cast<int>(config.io_threads)};
  asio::io_context media{1};
  tcp::acceptor acceptor{net};
  SessionRegistry sessions;
  std::shared_ptr<ListenerMetrics> metrics = std::make_shared<ListenerMetrics>();
  Routes routes{config, sessions, metrics};
  devices::EnginePool pool;
  std::mutex prime_mutex;
  std::unique_ptr<synthesis::Engine> prime_engine;
  std::map<std::string, std::shared_ptr<asio::steady_timer>> pacers;

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;

  explicit Impl(const config::Config& c)
      : config(c), pool(worker_count(c), engine_factory(c)), prime_engine(engine_factory(c)()) {}

  void bind() {
    const auto address = asio::ip::make_address(config.listen_host);
    const tcp::endpoint endpoint(address, config.listen_port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(net), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) start_http_session(std::move(socket), routes);
      else log::get("server")->warn("accept failed: {}", ec.message());
      accept();
    });
  }

  std::shared_ptr<Session> create_session(const std::string& id, music::SessionParams params) {
    SessionSettings settings;
    settings.id = id;
    settings.params = params;
    settings.encoder.bitrate_bps = config.bitrate_kbps * 1000;
    settings.encoder.complexity = config.complexity;
    settings.encoder.packets_per_page = config.page_ms / 20;
    settings.encoder.tags = {{"TITLE", config.stream_name + " - " + id}, {"ENCODER", "auralis"}};
    settings.burst_ms = config.burst_ms;
    settings.fanout_ms = config.fanout_ms;
    settings.lookahead_phrases = config.lookahead_phrases;
    std::shared_ptr<Session> session;
    {
      std::lock_guard lock(prime_mutex);
      session = std::make_shared<Session>(settings, pool, *prime_engine);
    }
    if (!sessions.add(session)) throw std::runtime_error("session '" + id + "' exists");
    start_pacer(session);
    return session;
  }

  void start_pacer(const std::shared_ptr<Session>& session) {
    auto timer = std::make_shared<asio::steady_timer>(media);
    asio::post(media, [this, session, timer] {
      pacers[session->id()] = timer;
      session->start(std::chrono::steady_clock::now());
      pace(session, timer);
    });
  }

  void pace(std::shared_ptr<Session> session, std::shared_ptr<asio::steady_timer> timer) {
    if (session->closed()) return;
    const auto next = session->advance(std::chrono::steady_clock::now());
    timer->expires_at(next);
    timer->async_wait([this, session, timer](boost::system::error_code ec) {
      if (!ec) pace(session, timer);
    });
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
  auto log = log::get("server");
  log->info("listening on http://{}:{} ({} network thread(s))", config.listen_host, port(), config.io_threads);
  log->info("render engine: {} on {} x{} workers, look-ahead {} phrase(s)", impl_->pool.engine_name(),
            impl_->pool.device(), impl_->pool.threads(), config.lookahead_phrases);
  if (!config.default_session.empty()) {
    music::SessionParams params = config.session;
    if (config.session_seed_random) params.seed = random_seed();
    impl_->create_session(config.default_session, params);
    log->info("default session: http://{}:{}/stream/{}.ogg", config.listen_host, port(), config.default_session);
  }
}

Daemon::~Daemon() = default;

unsigned short Daemon::port() const { return impl_->acceptor.local_endpoint().port(); }

int Daemon::run(bool handle_signals) {
  Impl& im = *impl_;
  asio::signal_set signals(im.net);
  if (handle_signals) {
    signals.add(SIGINT);
    signals.add(SIGTERM);
    signals.async_wait([&im](boost::system::error_code ec, int signal) {
      if (ec) return;
      log::get("server")->info("signal {} received: shutting down", signal);
      im.request_stop();
    });
  }
  im.accept();
  auto net_guard = asio::make_work_guard(im.net);
  auto media_guard = asio::make_work_guard(im.media);
  std::vector<std::thread> threads;
  for (int i = 0; i < im.config.io_threads; ++i) threads.emplace_back([&im] { im.net.run(); });
  threads.emplace_back([&im] { im.media.run(); });

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
  signals.cancel();
  for (const auto& session : im.sessions.all()) session->close();
  asio::post(im.media, [&im] {
    for (auto& [id, timer] : im.pacers) timer->cancel();
  });
  net_guard.reset();
  media_guard.reset();
  // Listeners finish their close on the network threads; give them a moment, then stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  im.net.stop();
  im.media.stop();
  for (auto& t : threads) t.join();
  log::get("server")->info("stopped");
  return 0;
}

void Daemon::stop() { impl_->request_stop(); }

}  // namespace auralis::server
