// What a verified client certificate says about the peer, without pulling in OpenSSL headers.
#pragma once

#include <string>

struct ssl_st;  // OpenSSL's SSL

namespace gw::tls {

/** PeerIdentity: the verified client certificate of a connection, if one was presented. */
struct PeerIdentity {
  bool presented = false;
  std::string subject;      // RFC 2253, e.g. "CN=Z90001,O=caregw dev"
  std::string common_name;  // the subject CN, which names the organisation's ODS code
};

/** peer_identity: reads the verified peer certificate of an established connection. */
[[nodiscard]] PeerIdentity peer_identity(ssl_st* ssl);

}  // namespace gw::tls
