#include "gateway/tls/client_context.hpp"

#include <openssl/ssl.h>

namespace gw::tls {

Result<void> configure_client_context(boost::asio::ssl::context& tls, const std::string& ca,
                                      const std::string& certificate, const std::string& key) {
  namespace ssl = boost::asio::ssl;
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_verify_mode(ssl::verify_peer, ec);
  if (!ec) {
    if (ca.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(ca, ec);
    }
  }
  if (!ec && !certificate.empty()) {
    tls.use_certificate_chain_file(certificate, ec);
    if (!ec) {
      tls.use_private_key_file(key, ssl::context::pem, ec);
    }
  }
  if (ec) {
    return make_error(Errc::kInternal, "cannot load the TLS files: " + ec.message());
  }
  return {};
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(
    const ClientIdentity& identity) {
  auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
  if (auto r = configure_client_context(*ctx, identity.ca, identity.certificate, identity.key);
      !r) {
    return r.error();
  }
  return ctx;
}

}  // namespace gw::tls
