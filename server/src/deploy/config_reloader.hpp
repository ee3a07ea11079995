// SIGHUP: reads the configuration again (file, environment, flags), logs every change and
// whether it needs a restart, and applies the live ones: the log level itself, the rest
// through the daemon's hook (listener bounds and admission, TLS certificate, Icecast). A
// configuration that fails to load changes nothing. Runs on a strand of the network loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <functional>

#include "auralis/config/config.hpp"

namespace auralis::server {

class ServiceWatch;

class ConfigReloader {
 public:
  using Load = std::function<config::Config()>;
  // `next` is the running configuration with the live changes applied.
  using Apply = std::function<void(const config::Config& next, bool icecast_changed)>;

  ConfigReloader(boost::asio::io_context& net, const config::Config& running, ServiceWatch& watch,
                 Apply apply);
  // Where the configuration comes from (the command line again); none: SIGHUP is refused.
  void set_source(Load load);
  void reload();

 private:
  void reload_on_strand();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  config::Config config_;  // strand only: as it runs (restart-only keys keep their old values)
  ServiceWatch& watch_;
  Apply apply_;
  Load load_;  // strand only
};

}  // namespace auralis::server
