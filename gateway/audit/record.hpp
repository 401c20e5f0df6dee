// The audit record: one Caldicott audit event (an access decision, a message movement, an MPI
// review action, a reload, an audit export or purge), its closed vocabularies and their IHE BALP /
// FHIR AuditEvent codes, and the canonical byte encoding that the hash chain is computed over.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"

namespace gw::audit {

/**
 * EventType: what happened. Each maps to a FHIR AuditEvent type (DICOM DCM or audit-event-type),
 * an optional standard subtype, a caregw subtype code and a CRUDE action (event_codes()).
 */
enum class EventType : std::uint8_t {
  kRecordRead = 1,       // a patient's record (or part) was read
  kRecordSearch,         // a search (e.g. Patient by demographics)
  kAccessDecision,       // a policy decision on its own (permit / deny / redaction)
  kBreakGlass,           // emergency override started: access without a legitimate relationship
  kBreakGlassReview,     // an IG lead's review of a break-glass event (related_seq names it)
  kDisclosure,           // data sent to another organisation (push, subscription delivery)
  kMessageReceived,      // a message came in from a provider
  kMessageTranslated,    // an adapter translated it
  kMessageStored,        // it was written to the record store
  kMessageDelivered,     // it was delivered to a recipient
  kMessageRetried,       // a delivery attempt failed and will be retried
  kMessageDeadLettered,  // delivery gave up; the message went to the dead-letter queue
  kMessageReplayed,      // an operator replayed a message
  kMpiReview,            // an MPI review worklist action (inspect, link, not-duplicate, ...)
  kConfigReload,         // the config was reloaded (accepted or rejected)
  kDsaReload,            // data-sharing agreements were reloaded
  kAuditQuery,           // someone queried the audit log
  kAuditExport,          // someone exported the audit log or its checkpoints
  kAuditPurge,           // records past retention were archived and removed
  kBreakGlassClose,      // emergency override stopped: a user ended their break-glass early
};

/** Outcome: FHIR audit-event-outcome (0 success, 4 minor failure, 8 serious, 12 major). */
enum class Outcome : std::uint8_t {
  kSuccess = 0,
  kMinorFailure = 4,    // the request was refused or bad (an HTTP 4xx, a policy denial)
  kSeriousFailure = 8,  // the gateway failed (an HTTP 5xx)
  kMajorFailure = 12,   // the gateway or a component became unavailable
};

/** Decision: the access decision taken for this event, if any. */
enum class Decision : std::uint8_t {
  kNone = 0,        // not an access decision (e.g. a message movement)
  kPermit,          // allowed in full
  kPermitRedacted,  // allowed, with some categories withheld (see withheld)
  kDeny,            // refused
  kBreakGlass,      // allowed by emergency override (see break_glass_reason)
};

/** DisclosedItem: one resource disclosed: its type, id and the SHA-256 (hex) of its content. */
struct DisclosedItem {
  std::string resource_type;  // e.g. "MedicationStatement"
  std::string resource_id;
  std::string sha256_hex;  // 64 lower-case hex digits; never the content itself
  bool operator==(const DisclosedItem&) const = default;
};

/**
 * PreparedDisclosures: a disclosed list checked and encoded once, for records that repeat it
 * (the shared record's kept answers: the same hundred items on every read). A record holding one
 * is checked and encoded as if its `disclosed` were `items`, without doing either again. Made by
 * prepare_disclosures (gateway/audit/sqlite/audit_store.hpp); immutable, shared.
 */
struct PreparedDisclosures {
  std::vector<DisclosedItem> items;
  std::string canonical;  // the list's part of canonical_body (count, then each item)
  std::string json;       // the list as the store keeps it (encode_disclosed)
  std::string digest;     // SHA-256 (hex) of json: the list's key in audit.db's list table
};

/**
 * AuditRecord: one audit event. Strings are empty when not applicable. seq and recorded_us are
 * assigned by the writer (AuditLog): a caller leaves seq 0, and recorded_us 0 to take the time
 * the append was accepted. Carries the NHS number (IG needs it) but never clinical content:
 * `detail` is operator-safe text (a reason code, an attempt count), never a message body.
 */
struct AuditRecord {
  std::uint64_t seq = 0;
  std::int64_t recorded_us = 0;  // UTC, microseconds since 1970-01-01T00:00:00Z
  std::string node_id;
  EventType type = EventType::kRecordRead;
  Outcome outcome = Outcome::kSuccess;
  Decision decision = Decision::kNone;
  std::string user_id;
  std::string user_name;
  std::string user_role;       // NHS RBAC role code / name
  std::string org_ods;         // the user's (or sending system's) organisation
  std::string client_system;   // the client certificate's subject (RFC 2253)
  std::string purpose_of_use;  // v3-ActReason code, e.g. TREAT, ETREAT, HOPERAT
  std::string nhs_number;      // the patient, ten digits
  std::vector<DisclosedItem> disclosed;
  /** prepared_disclosed: when set, the disclosed list is this one (and `disclosed` is empty). */
  std::shared_ptr<const PreparedDisclosures> prepared_disclosed;
  std::vector<std::string> withheld;  // categories withheld, e.g. "sexual-health"
  std::string dsa_id;
  std::string dsa_version;
  std::string dsa_rule;
  std::string break_glass_reason;
  std::string request_id;         // X-Request-ID
  std::string correlation_id;     // spans a message's movements across requests
  std::string source_address;     // the peer's IP address
  std::string message_id;         // message movements: the message's id
  std::string peer_ods;           // message movements: the other organisation (sender/recipient)
  std::string detail;             // operator-safe: no NHS number, name or clinical content
  std::uint64_t related_seq = 0;  // e.g. the break-glass event a review is about; 0 = none

  bool operator==(const AuditRecord&) const = default;
};

/** Coding: a FHIR Coding (system, code, display). */
struct Coding {
  std::string_view system;
  std::string_view code;
  std::string_view display;
};

/** EventCodes: how an event type is written as a FHIR AuditEvent. */
struct EventCodes {
  std::string_view name;  // caregw's stable text code, e.g. "record-read"
  Coding type;            // AuditEvent.type
  Coding subtype;         // AuditEvent.subtype (standard code; system empty if none)
  char action;            // AuditEvent.action: C R U D E
};

/** kCaregwSubtypeSystem: the code system for caregw's own subtype codes (the event names). */
inline constexpr std::string_view kCaregwSubtypeSystem = "urn:caregw:audit-event";

/** event_codes: the codes for an event type. */
[[nodiscard]] const EventCodes& event_codes(EventType t);
/** event_type_name: the stable text code ("record-read", "message-delivered", ...). */
[[nodiscard]] std::string_view event_type_name(EventType t);
/** parse_event_type: the event type for a text code, or nullopt. */
[[nodiscard]] std::optional<EventType> parse_event_type(std::string_view name);
/** all_event_types: every event type, in enum order. */
[[nodiscard]] const std::vector<EventType>& all_event_types();

/** outcome_code: "0", "4", "8" or "12". */
[[nodiscard]] std::string_view outcome_code(Outcome o);
/** outcome_name: "success", "minor-failure", "serious-failure", "major-failure". */
[[nodiscard]] std::string_view outcome_name(Outcome o);
/** parse_outcome: accepts the code ("4") or the name ("minor-failure"). */
[[nodiscard]] std::optional<Outcome> parse_outcome(std::string_view s);

/** decision_name: "", "permit", "permit-redacted", "deny", "break-glass". */
[[nodiscard]] std::string_view decision_name(Decision d);
/** parse_decision: the decision for a name ("" is kNone), or nullopt. */
[[nodiscard]] std::optional<Decision> parse_decision(std::string_view s);

/** kCanonicalVersion: the version byte that opens every canonical encoding. */
inline constexpr std::uint8_t kCanonicalVersion = 1;

/**
 * canonical_bytes: the record's canonical encoding (version 1), the input of its chain hash.
 * Deterministic: a fixed field order; integers as 8-byte big-endian; text as a 4-byte big-endian
 * length then the bytes; enumerations as their text codes; lists as a 4-byte count then items.
 * gateway/audit/README.md ("Canonical encoding") lists the fields. Never change version 1:
 * a new layout is a new version byte, and verify() must keep reading the old one.
 */
[[nodiscard]] std::string canonical_bytes(const AuditRecord& r);

/**
 * canonical_body: canonical_bytes() without its first 9 bytes (version and seq), so the costly
 * part can be encoded before the seq is known (on the appending thread, not the writer's).
 * canonical_bytes(r) == with_seq(r.seq, canonical_body(r)).
 */
[[nodiscard]] std::string canonical_body(const AuditRecord& r);

/** canonical_disclosed: a disclosed list's part of canonical_body. */
[[nodiscard]] std::string canonical_disclosed(const std::vector<DisclosedItem>& items);

/** validate_disclosed: validate_record's checks of a disclosed list. */
[[nodiscard]] Result<void> validate_disclosed(const std::vector<DisclosedItem>& items);
/** with_seq: the version byte and 8-byte big-endian `seq`, then `body`. */
[[nodiscard]] std::string with_seq(std::uint64_t seq, std::string_view body);

/**
 * BodyColumns: the audit.db columns read back from a canonical body (views into it, valid while
 * the body is). The writer inserts from these, so what is stored is what was hashed, and the
 * record itself never has to travel to (or be freed on) the writer thread.
 */
struct BodyColumns {
  std::int64_t recorded_us = 0;
  /** node_id, type, outcome code, decision, user_id, user_name, user_role, org_ods,
   * client_system, purpose_of_use, nhs_number: in the body's order. */
  std::array<std::string_view, 11> head{};
  /** dsa_id, dsa_version, dsa_rule, break_glass_reason, request_id, correlation_id,
   * source_address, message_id, peer_ods, detail. */
  std::array<std::string_view, 10> tail{};
  std::uint64_t related_seq = 0;
};

/** body_columns: reads canonical_body() bytes back into columns; nullopt if they are cut short. */
[[nodiscard]] std::optional<BodyColumns> body_columns(std::string_view body);

/**
 * validate_record: checks a record before it is accepted: NHS number (10 digits, Modulus 11) if
 * present, digests 64 hex digits, field lengths bounded (4 KiB each, 1,000 disclosed items,
 * 64 withheld categories), and text is valid UTF-8 without control characters.
 * @return kBadRequest naming the field (never its value).
 */
[[nodiscard]] Result<void> validate_record(const AuditRecord& r);

/** format_time_utc: "2026-11-26T13:20:00.123456Z" for microseconds since the epoch. */
[[nodiscard]] std::string format_time_utc(std::int64_t us);
/**
 * parse_time_utc: reads "YYYY-MM-DD", "YYYY-MM-DDThh:mm:ss[.ffffff]Z" or with a +hh:mm offset.
 * A bare date is its midnight UTC. @return microseconds since the epoch, or kBadRequest.
 */
[[nodiscard]] Result<std::int64_t> parse_time_utc(std::string_view text);

}  // namespace gw::audit
