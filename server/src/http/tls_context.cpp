#include "http/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>
#include <fstream>

#include "auralis/config/config.hpp"

namespace ssl = boost::asio::ssl;

namespace auralis::server {
namespace {

void require_readable(const std::string& path, const char* key) {
  if (path.empty())
    throw config::ConfigError(std::string(key) +
                              ": empty (both server.tls_cert and server.tls_key are needed)");
  std::ifstream f(path);
  if (!f) throw config::ConfigError(std::string(key) + ": cannot read " + path);
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const std::string& cert_file,
                                               const std::string& key_file) {
  require_readable(cert_file, "server.tls_cert");
  require_readable(key_file, "server.tls_key");
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw config::ConfigError("server.tls_cert: " + cert_file +
                              " is not a PEM certificate chain (" + ec.message() + ")");
  // OpenSSL checks the key against the certificate loaded above as it loads it.
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    throw config::ConfigError("server.tls_key: " + key_file +
                              " does not match the certificate in " + cert_file);
  }
  if (ec)
    throw config::ConfigError("server.tls_key: " + key_file + " is not a PEM private key (" +
                              ec.message() + ")");
  return ctx;
}

std::string describe_certificate(ssl::context& context) {
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (!cert) return "no certificate";
  std::string subject = "?";
  char name[256];
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name) > 0)
    subject = name;
  std::string expires = "?";
  tm when{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &when) == 1) {
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &when);
    expires = text;
  }
  return "subject CN=" + subject + ", expires " + expires;
}

}  // namespace auralis::server
