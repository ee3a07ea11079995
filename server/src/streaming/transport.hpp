// The two byte streams a connection can run over: plain TCP, or TLS over TCP (server.tls_cert).
// HttpSession, StreamListener and WsListener are written once for either.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace auralis::server {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// The HTTP listener's plain transport is the bare socket: no timer bookkeeping per write.
inline boost::asio::ip::tcp::socket& tcp_socket(boost::asio::ip::tcp::socket& s) {
  return s;
}
inline boost::asio::ip::tcp::socket& tcp_socket(PlainStream& s) {
  return s.socket();
}
inline boost::asio::ip::tcp::socket& tcp_socket(TlsStream& s) {
  return s.next_layer().socket();
}

inline PlainStream& tcp_layer(PlainStream& s) {
  return s;
}
inline PlainStream& tcp_layer(TlsStream& s) {
  return s.next_layer();
}

}  // namespace auralis::server
