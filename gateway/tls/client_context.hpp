// The TLS client side of outbound connections (HTTPS and MLLP delivery): one way to set it up.
#pragma once

#include <string>

#include <boost/asio/ssl/context.hpp>

#include "gateway/core/error.hpp"

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

}  // namespace gw::tls
