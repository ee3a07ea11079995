// libFuzzer target: bytes from a client as the daemon reads them. A Beast request parser with
// the daemon's header/body limits parses them (pipelined requests too), Routes::route() answers
// each one and the answer is serialised, against a real SessionManager with one session.
// Renders are failed on purpose ([faults] cpu failure 1.0) so a created session costs no CPU.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "api/routes.hpp"
#include "auralis/config/config.hpp"
#include "auralis/config/log.hpp"
#include "auralis/devices/clock.hpp"
#include "process_fixture.hpp"
#include "sessions/session.hpp"
#include "sessions/session_manager.hpp"
#include "streaming/listener_metrics.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace auralis;

namespace {

// Mirrors server/src/http_session.cpp.
constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 64 * 1024;
constexpr int kMaxRequestsPerInput = 16;

struct Fixture {
  config::Config config = [] {
    config::Config c;
    c.engine = "cpu";
    c.render_workers = 1;
    c.default_session = "";
    c.max_sessions = 1;  // the session below: a POST is fully validated, then refused
    c.faults_cpu.failure_probability = 1.0;
    return c;
  }();
  devices::SteadyClock clock;
  asio::io_context media;  // never run: no pacing, no encoding
  server::SessionManager sessions{config, media, clock};
  server::Routes routes{config, sessions, std::make_shared<server::ListenerMetrics>()};

  Fixture() { ensure_default(); }

  // Undoes what an input did to the sessions, so that every input starts alike.
  void ensure_default() {
    for (const auto& s : sessions.all())
      if (s->id() != "default") sessions.remove(s->id(), "fuzz reset");
    if (!sessions.find("default")) {
      server::SessionSpec spec;
      spec.id = "default";
      spec.name = "default";
      sessions.create(spec, server::Origin::configured).value();
    }
  }
};

Fixture& fixture() {
  return process_fixture<Fixture>();
}

void check_response(const server::Response& res) {
  if (res.result_int() < 100 || res.result_int() > 599) std::abort();
  std::ostringstream out;
  out << res;  // the serializer must accept every response the routes build
  if (out.str().find("\r\n\r\n") == std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& fx = fixture();
  std::size_t offset = 0;
  bool changed = false;
  for (int n = 0; n < kMaxRequestsPerInput && offset < size; ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    beast::error_code ec;
    for (;;) {
      const std::size_t used = parser.put(asio::buffer(data + offset, size - offset), ec);
      offset += used;
      if (ec == http::error::need_more && used > 0 && offset < size) {
        ec = {};
        continue;
      }
      if (ec == http::error::need_more) parser.put_eof(ec);  // the client stopped sending
      break;
    }
    if (ec || !parser.is_done()) break;  // the daemon answers 400/413/431 and closes
    server::Request req = parser.release();
    const server::RouteResult result = fx.routes.route(req);
    if (const auto* res = std::get_if<server::Response>(&result)) {
      check_response(*res);
      if (req.method() != http::verb::get && req.method() != http::verb::head) changed = true;
      if (!req.keep_alive()) break;
    } else if (const auto* stream = std::get_if<server::StreamRoute>(&result)) {
      if (!stream->source || !stream->response_head.ends_with("\r\n\r\n")) std::abort();
      break;  // the connection is a stream from here on
    } else if (const auto* ws = std::get_if<server::WebSocketRoute>(&result)) {
      if (!ws->source) std::abort();
      break;  // handed to the WebSocket listener
    } else if (const auto* take = std::get_if<server::TakeOverRoute>(&result)) {
      if (!take->plain || !take->tls) std::abort();
      break;  // handed to an MP3/AAC listener
    } else {
      if (!std::get<server::DeferredRoute>(result).start) std::abort();
      break;  // an HLS playlist that answers once its segments exist
    }
  }
  if (changed) {
    fx.ensure_default();
    if (auto s = fx.sessions.find("default"); s && s->name() != "default") s->set_name("default");
  }
  return 0;
}
