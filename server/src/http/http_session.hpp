// One HTTP connection: reads requests (bounded header/body size, read timeout), answers them
// through Routes, keeps the connection alive, and hands the socket to a StreamListener for
// stream requests. With a TLS context the same port also serves HTTPS and WSS.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>

namespace auralis::server {

class Routes;

void start_http_session(boost::asio::ip::tcp::socket socket, const Routes& routes,
                        const std::shared_ptr<boost::asio::ssl::context>& tls);

}  // namespace auralis::server
