// One WebSocket listener (/ws/{id}): the stream's greeting (OpusHead, parameters, what plays),
// then each batch's shared binary message of raw Opus packets and its now-playing events
// (docs/stream-protocol.md). One write in flight; the queue skips to the live edge past its
// bounds (LiveEdgeQueue: events are kept), and the listener is closed after repeated skips. A
// client that floods control frames or messages is closed with 1008 (policy).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>

#include "streaming/transport.hpp"

namespace auralis::server {

class StreamSource;
struct ListenerMetrics;
struct ListenerLimits;

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct WsClientLimits {
  std::size_t max_message_bytes = 4096;  // limits.ws_max_message_bytes
  int max_frames = 100;                  // client frames (pings included) per window, then 1008
  std::chrono::seconds window{10};
};

void start_ws_listener(PlainStream stream, UpgradeRequest upgrade,
                       std::shared_ptr<StreamSource> source, const ListenerLimits& limits,
                       std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, WsClientLimits client);
void start_ws_listener(TlsStream stream, UpgradeRequest upgrade,
                       std::shared_ptr<StreamSource> source, const ListenerLimits& limits,
                       std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, WsClientLimits client);

}  // namespace auralis::server
