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

}  // namespace gw::tls
