// The TLS server context built from server.tls_cert / server.tls_key.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

namespace auralis::server {

// Loads a PEM certificate chain and its private key; TLS 1.2 and newer only. Throws
// config::ConfigError naming the key whose file is missing, unreadable or does not match.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                            const std::string& key_file);

// "subject CN=..., expires 2027-02-23 12:00:00 UTC" for the context's certificate (logs).
std::string describe_certificate(boost::asio::ssl::context& context);

// The context new connections start with; SIGHUP puts a renewed one in (null: plain HTTP only).
// Connections made earlier keep theirs: OpenSSL counts every SSL object's reference to its
// SSL_CTX, and no callbacks live in the context, so the old one may go while they run.
class TlsContextSlot {
 public:
  explicit TlsContextSlot(std::shared_ptr<boost::asio::ssl::context> context)
      : context_(std::move(context)) {}
  std::shared_ptr<boost::asio::ssl::context> get() const {
    std::lock_guard lock(mutex_);
    return context_;
  }
  void set(std::shared_ptr<boost::asio::ssl::context> context) {
    std::lock_guard lock(mutex_);
    context_ = std::move(context);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace auralis::server
