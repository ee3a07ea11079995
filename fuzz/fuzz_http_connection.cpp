// libFuzzer target: the daemon's whole request path over a real connection. Each input is
// what one client sends on one TCP connection to 127.0.0.1; the daemon's own accept loop, HTTP
// session (bounded parsing of headers, chunk extensions, trailers and bodies; the RFC 9112
// header checks), routes (JSON bodies, sessions, auth), and after an upgrade the WebSocket
// listener (client frames, pings, closes) all see it as in production. The client half-closes
// after sending and reads until the daemon closes (at most 300 ms: a stream never ends).
// Beyond sanitizer reports, any exception that reached a barrier is a failure.
// Renders are failed on purpose ([faults] cpu failure 1.0) so a created session costs no CPU.
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "api/routes.hpp"
#include "auralis/config/config.hpp"
#include "auralis/config/log.hpp"
#include "auralis/devices/clock.hpp"
#include "http/acceptor.hpp"
#include "http/tls_context.hpp"
#include "process_fixture.hpp"
#include "sessions/session_manager.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace auralis;

namespace {

struct Fixture {
  config::Config config = [] {
    config::Config c;
    c.engine = "cpu";
    c.render_workers = 1;
    c.default_session = "default";
    c.max_sessions = 2;  // one more than the session below: a POST can succeed, once
    c.faults_cpu.failure_probability = 1.0;
    c.header_timeout_s = 2;
    c.keepalive_timeout_s = 2;
    return c;
  }();
  devices::SteadyClock clock;
  asio::io_context net;
  asio::io_context media;  // never run: no pacing, no encoding
  std::shared_ptr<server::ListenerMetrics> metrics = std::make_shared<server::ListenerMetrics>();
  server::SessionManager sessions{config, media, clock};
  server::Routes routes{config, sessions, metrics};
  server::TlsContextSlot tls{nullptr};
  server::Acceptor acceptor{net, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), routes, tls,
                            *metrics};
  std::thread net_thread;

  Fixture() {
    ensure_default();
    acceptor.start();
    net_thread = std::thread([this] {
      auto guard = asio::make_work_guard(net);
      net.run();
    });
  }

  // Undoes what an input did to the sessions, so that every input starts alike.
  void ensure_default() {
    for (const auto& s : sessions.all())
      if (s->id() != "default") sessions.remove(s->id(), "fuzz reset");
    if (!sessions.find("default")) {
      server::SessionSpec spec;
      spec.id = "default";
      sessions.create(spec, server::Origin::configured).value();
    }
    if (auto s = sessions.find("default"); s->name() != "default") s->set_name("default");
  }

  ~Fixture() {
    net.stop();
    net_thread.join();
  }
};

Fixture& fixture() {
  return process_fixture<Fixture>();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& fx = fixture();
  asio::io_context io;
  tcp::socket client(io);
  boost::system::error_code ec;
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), fx.acceptor.port()), ec);
  if (ec) std::abort();  // the daemon stopped accepting
  timeval timeout{0, 300 * 1000};
  setsockopt(client.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  asio::write(client, asio::buffer(data, size), ec);  // the daemon may close early: fine
  client.shutdown(tcp::socket::shutdown_send, ec);
  char buffer[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto n = ::recv(client.native_handle(), buffer, sizeof buffer, 0);
    if (n <= 0) break;  // closed, reset, or 300 ms without a byte
  }
  client.close(ec);
  if (fx.metrics->faults_route + fx.metrics->faults_network > 0) std::abort();
  fx.ensure_default();
  return 0;
}
