// Component loggers: `log::get("session")` returns a spdlog logger tagged with the component,
// sharing the default logger's sinks and level (set up once by the process from log.level).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace auralis::log {

std::shared_ptr<spdlog::logger> get(const std::string& component);

// Configures the default sink (stderr) and level for every component logger.
void setup(const std::string& level);

}  // namespace auralis::log
