// One WebSocket listener (/ws/{id}): a hello with the OpusHead and params, then each batch's
// shared binary message of raw Opus packets and its now-playing events
// (proto/STREAM_PROTOCOL.md). One write in flight; the queue is bounded like the HTTP
// listener's (skip to the live edge at a packet boundary, close after repeated skips).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "http_responses.hpp"
#include "transport.hpp"

namespace auralis::server {

class Session;
struct ListenerMetrics;
struct ListenerLimits;

void start_ws_listener(PlainStream stream, Request upgrade, std::shared_ptr<Session> session,
                       const ListenerLimits& limits, std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, std::size_t max_client_message);
void start_ws_listener(TlsStream stream, Request upgrade, std::shared_ptr<Session> session,
                       const ListenerLimits& limits, std::shared_ptr<ListenerMetrics> metrics,
                       std::shared_ptr<void> admission_ticket, std::size_t max_client_message);

}  // namespace auralis::server
