// Real-time release of one session's audio: on a media thread, the session wakes when its next
// page is due, encodes the packets due and publishes them. The chain ends when the session
// closes or is gone.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "auralis/devices/clock.hpp"

namespace auralis::server {

class Session;

void start_pacer(boost::asio::io_context& media, const std::shared_ptr<Session>& session,
                 devices::Clock& clock);

}  // namespace auralis::server
