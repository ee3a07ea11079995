#include "auralis/server/session_manager.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <random>
#include <stdexcept>

#include "auralis/devices/engine_choice.hpp"
#include "auralis/devices/log.hpp"

namespace asio = boost::asio;

namespace auralis::server {

std::string random_session_id() {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::random_device rd;
  std::string id = "s-";
  for (int i = 0; i < 10; ++i) id += kAlphabet[rd() % (sizeof(kAlphabet) - 1)];
  return id;
}

SessionManager::SessionManager(const config::Config& config, asio::io_context& media, devices::Clock& clock)
    : config_(config), media_(media), clock_(clock) {
  const auto chain = devices::choose_engine_chain({config.engine, config.device, config.render_workers});
  for (const auto& spec : chain) {
    pools_.push_back(std::make_unique<devices::RenderPool>(
        spec.workers, [spec] { return devices::make_engine(spec); }, spec.max_batch, clock_));
    engines_.push_back({spec.engine, pools_.back()->device(), spec.workers});
    log::get("devices")->info("render chain #{}: engine {} on {} x{} worker(s), batch up to {} ({})", pools_.size(),
                              spec.engine, pools_.back()->device(), spec.workers, spec.max_batch, spec.reason);
  }
  // Operator drill ([faults]): make an engine slow or failing on purpose.
  for (auto& pool : pools_) {
    const auto& f = pool->engine_name() == "torch" ? config.faults_torch : config.faults_cpu;
    if (f.delay_ms > 0 || f.failure_probability > 0) {
      pool->faults().set({std::chrono::milliseconds(f.delay_ms), f.failure_probability});
      log::get("devices")->warn("fault injection on engine {}: +{} ms per render, failure probability {}",
                                pool->engine_name(), f.delay_ms, f.failure_probability);
    }
  }
  asio::post(media_, [this] { schedule_idle_check(); });
}

SessionManager::~SessionManager() { close_all("daemon stopping"); }

void SessionManager::schedule_idle_check() {
  // Sessions nobody listens to cost a render worker share forever: end them after
  // limits.idle_session_stop_s, except pinned ones.
  if (config_.idle_session_stop_s <= 0) return;
  if (!idle_timer_) idle_timer_ = std::make_unique<asio::steady_timer>(media_);
  idle_timer_->expires_after(std::chrono::seconds(std::min(5, config_.idle_session_stop_s)));
  idle_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    const auto limit = std::chrono::seconds(config_.idle_session_stop_s);
    for (const auto& s : registry_.all()) {
      if (s->pinned || s->http_listeners + s->ws_listeners > 0) {
        idle_since_.erase(s->id());
        continue;
      }
      auto [it, fresh] = idle_since_.emplace(s->id(), now);
      if (!fresh && now - it->second >= limit) {
        log::get("session")->info("session {} had no listener for {} s: ending it", s->id(), config_.idle_session_stop_s);
        idle_since_.erase(it);
        remove(s->id(), "idle: no listeners");
      }
    }
    schedule_idle_check();
  });
}

std::shared_ptr<Session> SessionManager::create(const CreateSession& request) {
  if (auto err = music::validate(request.params)) throw std::invalid_argument(err->field + ": " + err->message);
  SessionSettings settings;
  settings.id = request.id.value_or(random_session_id());
  if (!valid_session_id(settings.id)) throw std::invalid_argument("id: invalid session id");
  if (registry_.find(settings.id)) throw std::runtime_error("exists");
  settings.name = request.name.empty() ? settings.id : request.name;
  settings.scheduler.session_id = settings.id;
  settings.scheduler.params = request.params;
  settings.scheduler.first_phrase = request.first_phrase;
  settings.scheduler.lookahead_phrases = config_.lookahead_phrases;
  settings.scheduler.deadline_margin = std::chrono::milliseconds(config_.deadline_margin_ms);
  settings.scheduler.fallback_margin = std::chrono::milliseconds(config_.fallback_margin_ms);
  settings.encoder.bitrate_bps = config_.bitrate_kbps * 1000;
  settings.encoder.complexity = config_.complexity;
  settings.encoder.packets_per_page = config_.page_ms / 20;
  settings.encoder.tags = {{"TITLE", config_.stream_name + " - " + settings.name}, {"ENCODER", "auralis"}};
  settings.burst_ms = config_.burst_ms;
  settings.fanout_ms = config_.fanout_ms;

  std::vector<devices::RenderPool*> chain;
  for (auto& p : pools_) chain.push_back(p.get());
  auto session = std::make_shared<Session>(settings, chain, clock_, metrics_);
  if (request.created_at) session->set_created_at(*request.created_at);
  session->pinned = request.pinned;
  if (!registry_.add(session)) {
    session->close("id taken");
    throw std::runtime_error("exists");
  }
  start_pacer(session);
  if (on_created) on_created(session);
  return session;
}

bool SessionManager::remove(const std::string& id, const std::string& reason) {
  auto session = registry_.remove(id);
  if (!session) return false;
  session->close(reason);
  if (on_removed) on_removed(id);
  return true;
}

void SessionManager::close_all(const std::string& reason) {
  for (const auto& session : registry_.all()) {
    registry_.remove(session->id());
    session->close(reason);
  }
}

bool SessionManager::ready() const {
  for (const auto& s : registry_.all())
    if (!s->started()) return false;
  return true;
}

void SessionManager::start_pacer(const std::shared_ptr<Session>& session) {
  // Each session paces itself on the media thread: wake when its next page is due, encode the
  // packets due, publish. A closed session's timer chain simply ends.
  auto timer = std::make_shared<asio::steady_timer>(media_);
  auto tick = std::make_shared<std::function<void()>>();
  std::weak_ptr<Session> weak = session;
  *tick = [this, weak, timer, tick] {
    auto s = weak.lock();
    if (!s || s->closed()) {
      *tick = nullptr;  // break the self-reference
      return;
    }
    const auto next = s->advance(clock_.now());
    timer->expires_at(next);
    timer->async_wait([tick](boost::system::error_code ec) {
      if (!ec && *tick) (*tick)();
    });
  };
  asio::post(media_, [tick] { (*tick)(); });
}

}  // namespace auralis::server
