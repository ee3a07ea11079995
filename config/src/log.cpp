#include "auralis/config/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace auralis::log {

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(component)) return existing;
  auto base = spdlog::default_logger();
  auto logger =
      std::make_shared<spdlog::logger>(component, base->sinks().begin(), base->sinks().end());
  logger->set_level(base->level());
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

void setup(const std::string& level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("auralis", sink);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  const auto lvl = spdlog::level::from_str(level);
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::info);
  // Loggers created before setup follow the new sink and level.
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().assign({sink});
    l->set_level(lvl);
  });
}

}  // namespace auralis::log
