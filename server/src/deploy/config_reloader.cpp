#include "deploy/config_reloader.hpp"

#include <boost/asio/post.hpp>

#include "auralis/config/log.hpp"
#include "auralis/config/reload.hpp"
#include "deploy/service_watch.hpp"

namespace asio = boost::asio;

namespace auralis::server {

ConfigReloader::ConfigReloader(asio::io_context& net, const config::Config& running,
                               ServiceWatch& watch, Apply apply)
    : strand_(asio::make_strand(net)), config_(running), watch_(watch), apply_(std::move(apply)) {}

void ConfigReloader::set_source(Load load) {
  asio::post(strand_, [this, load = std::move(load)]() mutable { load_ = std::move(load); });
}

void ConfigReloader::reload() {
  asio::post(strand_, [this] { reload_on_strand(); });
}

void ConfigReloader::reload_on_strand() {
  auto log = log::get("config");
  if (!load_) {
    log->warn("SIGHUP: this daemon has no configuration source to reload");
    return;
  }
  watch_.reloading();
  config::Config next;
  try {
    next = load_();
  } catch (const std::exception& e) {
    log->error("reload failed, configuration unchanged: {}", e.what());
    watch_.reloaded("reload failed: configuration unchanged");
    return;
  }
  const auto changes = config::diff_config(config_, next);
  bool icecast_changed = false;
  int restart_needed = 0;
  for (const auto& change : changes) {
    if (change.live)
      log->info("reload: {} = {} (was {}): applied", change.key, change.after, change.before);
    else
      log->warn("reload: {} = {} (was {}): needs a restart to take effect", change.key,
                change.after, change.before);
    restart_needed += change.live ? 0 : 1;
    icecast_changed = icecast_changed || change.key.starts_with("icecast.");
  }
  // Keep the restart-only keys as they run, so the next reload reports them again.
  for (const auto& change : changes)
    if (change.live) config::set_key(config_, change.key, config::get_key(next, change.key));
  if (config_.log_level != spdlog::level::to_string_view(spdlog::get_level()))
    spdlog::set_level(spdlog::level::from_str(config_.log_level));  // every component logger
  apply_(config_, icecast_changed);
  log->info("configuration reloaded: {} change(s), {} applied, {} need a restart", changes.size(),
            changes.size() - static_cast<std::size_t>(restart_needed), restart_needed);
  watch_.reloaded("playing");
}

}  // namespace auralis::server
