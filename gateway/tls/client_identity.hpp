// Which files make the gateway's identity on outbound TLS (delivery to recipients): a plain
// value, so transport headers can name it without including Asio's SSL headers.
#pragma once

#include <string>

namespace gw::tls {

/** ClientIdentity: the files of outbound TLS (`delivery:`): CA bundle, certificate, key. */
struct ClientIdentity {
  std::string ca;           // empty: the system's trust store
  std::string certificate;  // empty: no client certificate
  std::string key;
  bool operator==(const ClientIdentity&) const = default;
};

}  // namespace gw::tls
