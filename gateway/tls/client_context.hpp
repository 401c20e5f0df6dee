// The TLS client side of outbound connections (HTTPS and MLLP delivery): one way to set it up.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "gateway/core/error.hpp"
#include "gateway/tls/client_identity.hpp"

namespace gw::tls {

/**
 * configure_client_context: TLS 1.2+ only (Mozilla "intermediate", DESIGN.md security defaults),
 * the server verified against `ca` (the system store when empty), and the client certificate
 * chain + key for mTLS when `certificate` is set.
 * @return kInternal naming what could not be loaded.
 */
[[nodiscard]] Result<void> configure_client_context(boost::asio::ssl::context& tls,
                                                    const std::string& ca,
                                                    const std::string& certificate,
                                                    const std::string& key);

/**
 * make_client_context: a new client context set up as configure_client_context does. Contexts
 * are shared: a transport swaps in a new one when its identity is reloaded while connections
 * made with the old one finish on it.
 * @return kInternal naming what could not be loaded.
 */
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(
    const ClientIdentity& identity);

}  // namespace gw::tls
