// The organisation behind a connection, from its verified client certificate: shared by the
// HTTPS pipeline's authenticate stage and the MLLP listener.
#pragma once

#include <string>
#include <string_view>

#include "gateway/config/config.hpp"
#include "gateway/core/error.hpp"
#include "gateway/tls/peer_identity.hpp"

namespace gw::pipeline {

/** PeerRefusal: why a certificate names no usable organisation (metric label + error). */
struct PeerRefusal {
  std::string_view reason;  // "subject_not_ods", "unknown_organisation", "subject_mismatch"
  Error error;
};

/**
 * peer_organisation: the configured organisation the presented certificate's subject CN names
 * (and whose pinned subject, if any, it matches). The certificate must have been presented.
 */
[[nodiscard]] boost::system::result<const config::Organisation*, PeerRefusal> peer_organisation(
    const tls::PeerIdentity& peer, const config::Config& config);

}  // namespace gw::pipeline
