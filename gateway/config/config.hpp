// The gateway's configuration as immutable typed structs, built once by the loader (loader.hpp)
// and shared as std::shared_ptr<const Config>; each component is handed only its own part.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
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
/** ListenerProtocol: HTTPS (FHIR, ITK, adapter pushes) or MLLP over TLS (HL7 v2). */
enum class ListenerProtocol { kHttps, kMllp };

/** org_kind_name: the config spelling of an organisation kind ("gp", "mental-health", ...). */
[[nodiscard]] std::string_view org_kind_name(OrgKind k);

/** GpConnectProvider: where a practice answers GP Connect Access Record: Structured queries
 * (`organisations[].gpconnect`; gateway/gpconnect/README.md). */
struct GpConnectProvider {
  std::string
      endpoint;      // the provider's FHIR base URL (https), e.g. https://host/ODS/STU3/1/gpconnect
  std::string asid;  // the practice system's Spine ASID (Ssp-To)
  int line = 0;
};

struct Organisation {
  OdsCode ods;
  std::string name;
  OrgKind kind = OrgKind::kGp;
  /** If set, the client certificate's subject (RFC 2253, e.g. "CN=Z90001,O=caregw dev") must equal
   * it. */
  std::string certificate_subject;
  int line = 0;
  /** gpconnect: set when the gateway may query this practice's GP record over GP Connect. */
  std::optional<GpConnectProvider> gpconnect{};
};

struct Listener {
  std::string name;
  std::string address = "0.0.0.0";
  std::uint16_t port = 0;
  ClientCert client_certificate = ClientCert::kRequired;
  ListenerProtocol protocol = ListenerProtocol::kHttps;
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

/** FileRef: a file named in the config: as written (for embedded demo lookups) and resolved. */
struct FileRef {
  std::string raw;   // as written in the config
  std::string path;  // ${data_dir} expanded, absolute against the config file's folder
  int line = 0;
};

/** TokenIssuer: a trusted issuer of bearer JWTs (gateway/auth): its keys and our audience. */
struct TokenIssuer {
  std::string issuer;  // the token's "iss", compared exactly
  FileRef jwks_file;   // RFC 7517 JWK Set (RS256 and ES256 keys)
  std::string audience;
  int line = 0;
};

/** PolicySettings: the tunable parts of the policy engine (gateway/policy/README.md). */
struct PolicySettings {
  std::uint32_t recent_encounter_days = 28;  // a closed admission/attendance still counts this long
  std::uint32_t ambulance_incident_hours = 24;
  std::uint32_t break_glass_hours = 4;
  std::uint32_t token_clock_skew_seconds = 60;
  bool relationship_registered_practice = true;
  bool relationship_encounter = true;
  bool relationship_mental_health = true;
  bool relationship_social_care = true;
  bool relationship_ambulance = true;
  // Recorded decision inputs of record reads, for `caregw policy dry-run` (policy/recorder.hpp):
  std::uint32_t recorded_inputs_days = 30;         // kept this many days; 0: not recorded
  std::uint32_t recorded_inputs_per_request = 20;  // lines one request may add at most
};

/** UnusualActivity: thresholds of the audit log's unusual-activity report. */
struct UnusualActivity {
  std::uint32_t distinct_patients = 50;  // a user opening this many different patients ...
  std::uint32_t window_minutes = 60;     // ... within this many minutes is flagged
  bool match_surname = true;  // flag a user opening a record of a patient sharing their surname
  bool match_address = true;  // ... or their address (postcode and first line)
};

class StaffDirectory;  // staff_directory.hpp

/** AuditConfig: the `audit:` section (gateway/audit/README.md). */
struct AuditConfig {
  std::string key_file;                      // absolute; default <data_dir>/keys/audit-ed25519.pem
  std::uint64_t checkpoint_every = 10000;    // records between signed checkpoints
  std::uint32_t checkpoint_interval_s = 60;  // or this many seconds, if any record was written
  std::uint32_t queue_bound = 65536;         // appends waiting beyond this fail (503)
  std::uint32_t max_batch = 8192;            // records per group commit at most
  std::uint32_t retention_days = 2922;       // 8 years; purge's default cut-off
  UnusualActivity unusual_activity;
  /** staff_directory_file: `audit.staff_directory` (line 0 when not set). */
  FileRef staff_directory_file;
  /** staff_directory: the users' own surnames and addresses, read and checked with the config;
   * null when not configured (the surname/address checks then do not run). */
  std::shared_ptr<const StaffDirectory> staff_directory;
};
/** PatientScope: for which patients a subscriber wants a message. */
enum class PatientScope : std::uint8_t {
  kAll,                 // every patient
  kRegisteredPractice,  // only patients registered with the recipient (a GP practice)
  kOpenCase,            // only patients the recipient has an open case or episode for
};

/** SubscriptionTransport: how the recipient receives: pushed over HTTPS or MLLP, or pulled. */
enum class SubscriptionTransport : std::uint8_t { kHttps, kMllp, kMailbox };

/** Subscription: who receives what, how, and in which format (the `subscriptions:` section). */
struct Subscription {
  std::string name;
  OdsCode recipient;
  std::vector<std::string> message_kinds;   // e.g. "discharge-summary"; empty: any
  std::vector<std::string> events;          // adapter event types, e.g. "ADT^A03"; empty: any
  std::vector<std::string> resource_types;  // e.g. "Encounter"; empty: any
  PatientScope patients = PatientScope::kAll;
  SubscriptionTransport transport = SubscriptionTransport::kHttps;
  std::string endpoint;  // https URL, or host:port for MLLP; empty for a mailbox
  std::string format;    // a translate KIND: fhir-r4, fhir-stu3, hl7v2, ...
  int line = 0;
};

/** Delivery: retry policy and the gateway's client identity for outbound TLS (`delivery:`). */
struct Delivery {
  std::uint32_t max_attempts = 10;
  std::chrono::seconds max_age{std::chrono::hours(24)};
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{std::chrono::minutes(10)};
  std::chrono::milliseconds timeout{30'000};  // per attempt: connect, handshake, exchange
  std::uint32_t workers = 2;
  Located<std::string> client_certificate;  // PEM; empty: no client certificate
  Located<std::string> client_key;
  Located<std::string> ca;  // PEM bundle recipients' server certificates must chain to
};

/** RecordSettings: the shared care record (`record:`; gateway/record/README.md). */
struct RecordSettings {
  /** cache_mb: memory for assembled $everything and search answers (LRU); 0 turns the cache
   * off. Read at start; a reload does not resize it. */
  std::uint32_t cache_mb = 64;
};

/** Retention: how long finished messages keep their bytes (`retention:`); 0 keeps them forever.
 * The audit log's own retention is `audit.retention_days`. */
struct Retention {
  /** journal_days: inbound messages processed or failed longer ago lose their bytes. */
  std::uint32_t journal_days = 90;
  std::uint32_t delivered_days = 30;  // delivered or discarded outbound messages: deleted
  std::chrono::seconds interval{std::chrono::hours(1)};  // how often the retention runs
};

/** GpConnectConsumer: the gateway as a GP Connect consumer (the `gpconnect:` section). */
struct GpConnectConsumer {
  std::string asid;        // the gateway's own Spine ASID (Ssp-From); empty: not configured
  std::string ods;         // the consumer organisation (JWT requesting_organization)
  std::string name;        // its name, for the JWT (optional)
  std::string system_url;  // the JWT's iss; default https://caregw.invalid/<node_id>
  std::chrono::milliseconds timeout{30'000};  // connect+handshake, write and read, each
  int line = 0;
};

/** subscription_transport_name / patient_scope_name: the config spellings. */
[[nodiscard]] std::string_view subscription_transport_name(SubscriptionTransport t);
[[nodiscard]] std::string_view patient_scope_name(PatientScope p);

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
  std::vector<FileRef> agreements;  // data-sharing agreement files (gateway/policy)
  std::vector<TokenIssuer> token_issuers;
  PolicySettings policy;
  AuditConfig audit;
  Delivery delivery;
  Retention retention;
  RecordSettings record;
  std::vector<Subscription> subscriptions;
  GpConnectConsumer gpconnect;
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
