// The gateway's configuration as immutable typed structs, built once by the loader (loader.hpp)
// and shared as std::shared_ptr<const Config>; each component is handed only its own part.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/ids.hpp"

namespace gw::config {

/** Located: a value with the config file line it came from, for errors found after loading. */
template <class T>
struct Located {
  T value{};
  int line = 0;
};

enum class OrgKind { kGp, kAcute, kMentalHealth, kSocialCare, kAmbulance };
enum class ClientCert { kRequired, kOptional };

/** org_kind_name: the config spelling of an organisation kind ("gp", "mental-health", ...). */
[[nodiscard]] std::string_view org_kind_name(OrgKind k);

struct Organisation {
  OdsCode ods;
  std::string name;
  OrgKind kind = OrgKind::kGp;
  /** If set, the client certificate's subject (RFC 2253, e.g. "CN=Z90001,O=caregw dev") must equal
   * it. */
  std::string certificate_subject;
  int line = 0;
};

struct Listener {
  std::string name;
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;
  ClientCert client_certificate = ClientCert::kRequired;
  int line = 0;
};

struct Tls {
  Located<std::string> certificate;  // PEM server certificate chain
  Located<std::string> private_key;  // PEM private key
  Located<std::string> client_ca;    // PEM bundle of CAs that issue organisation certificates
};

struct Limits {
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::uint64_t max_body_bytes = std::uint64_t{10} * 1024 * 1024;
  std::uint32_t max_requests_per_connection = 1000;
  std::uint32_t max_connections = 10000;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_grace{30'000};
};

struct Config {
  std::string source;  // the file it was read from ("<demo>" for the built-in demo config)
  std::string node_id = "caregw-1";
  std::string data_dir;
  std::string log_level = "info";
  unsigned threads = 0;  // 0: one per core
  Tls tls;
  std::vector<Listener> listeners;
  Limits limits;
  std::vector<Organisation> organisations;
  /**
   * The mappings directory (mappings/README.md): `mappings:` in the file (line > 0), else
   * `mappings/` next to the config file (line 0; used only if that folder exists).
   */
  Located<std::string> mappings;

  /** find_organisation: the configured organisation with this ODS code, or nullptr. */
  [[nodiscard]] const Organisation* find_organisation(const OdsCode& ods) const;
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace gw::config
