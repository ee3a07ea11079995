// libFuzzer target: what a WebSocket client sends. The input is the upgrade request followed
// by client frames; a Beast server stream with the daemon's settings (message size cap, no
// compression) accepts it and reads messages until an error, answering pings and closes, as
// server/src/ws_listener.cpp does on its read side.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <string_view>

#include "auralis/config/config.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::size_t max_message =
      static_cast<std::size_t>(auralis::config::Config{}.ws_max_message_bytes);
  asio::io_context io;
  beast::test::stream client(io);  // the client's end: what it wrote, then end of stream
  beast::test::stream server(io);
  client.connect(server);
  client.write_some(asio::buffer(data, size));
  client.close();

  websocket::stream<beast::test::stream&> ws(server);
  ws.read_message_max(max_message);
  beast::error_code ec;
  ws.accept(ec);
  if (ec) return 0;
  beast::flat_buffer buffer;
  for (int messages = 0; messages < 1000; ++messages) {
    ws.read(buffer, ec);
    if (ec) break;
    if (buffer.size() > max_message) std::abort();
    buffer.consume(buffer.size());
  }
  return 0;
}
