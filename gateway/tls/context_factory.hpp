// Server TLS contexts (Mozilla "intermediate": TLS 1.2 and 1.3 only) and what a failed handshake
// or a peer certificate tells us. OpenSSL is used only in gateway/tls.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "gateway/config/config.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/tls/peer_identity.hpp"

namespace gw::tls {

using ContextPtr = std::shared_ptr<boost::asio::ssl::context>;

/** ServerContexts: one context for listeners that require a client certificate, one for optional.
 */
struct ServerContexts {
  ContextPtr client_required;
  ContextPtr client_optional;

  [[nodiscard]] const ContextPtr& for_mode(config::ClientCert m) const {
    return m == config::ClientCert::kRequired ? client_required : client_optional;
  }
};

/**
 * make_server_contexts: loads the server certificate chain, key and client CA bundle named by
 * `cfg.tls`. Problems (unreadable PEM, key not matching the certificate, empty CA bundle) are
 * appended to `errors` as config diagnostics pointing at the key's line.
 * @return the contexts, or nullptr members when there were errors.
 */
[[nodiscard]] ServerContexts make_server_contexts(const config::Config& cfg,
                                                  std::vector<config::Diagnostic>& errors);

/**
 * handshake_failure_reason: a short stable label for why a server handshake failed
 * (no_certificate, unknown_ca, certificate_expired, protocol_version, plain_http, timeout, ...).
 */
[[nodiscard]] std::string handshake_failure_reason(const boost::system::error_code& ec, SSL* ssl);

}  // namespace gw::tls
