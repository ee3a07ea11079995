// The TLS server context built from server.tls_cert / server.tls_key.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

namespace auralis::server {

// Loads a PEM certificate chain and its private key; TLS 1.2 and newer only. Throws
// config::ConfigError naming the key whose file is missing, unreadable or does not match.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                            const std::string& key_file);

}  // namespace auralis::server
