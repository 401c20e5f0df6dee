// What an adapter gives the gateway for one inbound message, and what it is asked for in return:
// the contract between adapters/ (parse and translate one format) and gateway/ingest (journal,
// identify, store, route, deliver). Adapters are pure: no I/O, no store, no clock of their own.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/mapping/unmapped.hpp"
#include "gateway/store/mpi_types.hpp"

namespace gw::ingest {

/** TranslatedResource: one FHIR R4 resource a message carries, as its source identifies it. */
struct TranslatedResource {
  std::string resource_type{};  // "Encounter", "Condition", ...
  /** id: the source's logical id, the same in every message about the same thing (an HL7 visit
   * number, a GP record's GUID), following FHIR's id rules ([A-Za-z0-9.-]{1,64}). */
  std::string id{};
  std::string json{};    // FHIR R4 JSON with "resourceType" and "id"; empty when deleted
  bool deleted = false;  // the source withdrew it (e.g. ADT^A11 cancel admit)
};

/** MergeRequest: the source says two of its identifiers are one patient (HL7 ADT^A40). */
struct MergeRequest {
  store::LocalId survivor;
  store::LocalId superseded;
  std::string reason{};
};

/** TranslatedMessage: one inbound message, translated. */
struct TranslatedMessage {
  /** kind: what subscriptions match on: "adt", "result", "discharge-summary", "ed-discharge",
   * "outpatient-letter", "gp-record", "document", ... */
  std::string kind{};
  std::string event{};              // the adapter's event type: "ADT^A01", an ITK3 event code, ...
  std::string sender_message_id{};  // HL7 MSH-10, MessageHeader.id / Bundle.id, ITK tracking id
  /** patient: who the message is about (source = the sending organisation); every resource is
   * filed under the person the MPI identifies from it. Absent only for messages with no patient. */
  std::optional<identity::IncomingIdentity> patient{};
  std::optional<OdsCode> registered_practice{};  // the patient's GP practice, when the message says
  std::vector<TranslatedResource> resources{};
  std::vector<MergeRequest> merges{};
  std::vector<std::string> warnings{};  // "where: what", never PHI (for the acknowledgement)
};

/**
 * AckRequest: what the sender must be told.
 *  - kAccepted: durably journalled (and processed, or queued for processing);
 *  - kRejected: the message is wrong and resending it unchanged will fail again (HL7 AR, ITK
 *    business NACK, ITK3 fatal error); `error.detail` says what and where;
 *  - kError: the message could not be processed now (HL7 AE / temporary failure): try again.
 */
struct AckRequest {
  enum class Code : std::uint8_t { kAccepted, kRejected, kError } code = Code::kAccepted;
  std::optional<Error> error{};  // for kRejected / kError: the adapter's own error or the gateway's
  std::vector<std::string> warnings{};
  std::string ack_id{};                        // the gateway's id for the acknowledgement (unique)
  std::chrono::system_clock::time_point at{};  // when it is sent (HL7 MSH-7); epoch: unknown
};

/**
 * Error locations: an adapter's translate() error puts where in the message it went wrong first
 * in `detail`, then ": ", then what was wrong, e.g. "PID-3: no NHS number (identifier type NH)"
 * or "/Bundle/entry[2]/resource: unknown resourceType". acknowledge() may parse it back.
 */
inline constexpr std::string_view kLocationSeparator = ": ";

/**
 * InboundAdapter: one inbound format. Implementations are stateless and thread-safe.
 */
class InboundAdapter {
public:
  virtual ~InboundAdapter() = default;

  /** name: the journal's adapter name ("acute-hl7v2", "itk", "itk3", "emis-xml", ...). */
  [[nodiscard]] virtual std::string_view name() const = 0;
  /** ack_content_type: the media type of acknowledge()'s output. */
  [[nodiscard]] virtual std::string_view ack_content_type() const = 0;

  /** message_id: the sender's id for the message (idempotency), read cheaply; empty when the
   * message is too broken to carry one. */
  [[nodiscard]] virtual std::string message_id(std::string_view body) const = 0;

  /**
   * translate: the message as FHIR R4 resources plus the facts routing and the MPI need. Codes
   * go through `mapper` (unmapped ones kept as sent and counted). kBadRequest / kUnprocessable
   * with the location convention above for a message that is wrong.
   */
  [[nodiscard]] virtual Result<TranslatedMessage> translate(
      const OdsCode& sender, std::string_view body, const mapping::Mapper& mapper) const = 0;

  /**
   * check_on_receipt: checks that hold only at the moment a message arrives (e.g. the ITK
   * WS-Security freshness window), run once before it is journalled; a message refused here is
   * answered with acknowledge(kRejected) and not kept. Never run again when the journal is
   * re-processed. Default: nothing to check.
   */
  [[nodiscard]] virtual Result<void> check_on_receipt(
      std::string_view /*body*/, std::chrono::system_clock::time_point /*now*/) const {
    return {};
  }

  /** acknowledge: the reply to the sender for `body` (HL7 ACK, ITK ack, ITK3 response). Must
   * produce something even for a body translate() could not read. */
  [[nodiscard]] virtual std::string acknowledge(std::string_view body,
                                                const AckRequest& ack) const = 0;
};

/** RenderRequest: one routed message for one recipient. */
struct RenderRequest {
  const TranslatedMessage* message = nullptr;
  OdsCode sender;
  OdsCode recipient;
  std::string nhs_number{};           // the person's NHS number (verified or not), empty if none
  std::string outbound_message_id{};  // unique per recipient (a UUID)
  std::string timestamp{};            // now, as FHIR instant (UTC, "2026-11-26T16:30:00Z")
};

/** Rendered: the payload for one recipient. */
struct Rendered {
  std::string content_type{};
  std::string payload{};
};

/** BusinessAnswer: what a recipient's answer to a message it took says (an ITK3 response). */
struct BusinessAnswer {
  /** kAccepted: filed; kRetry: try the same message again later; kRefused: not now, not ever
   * (dead-letter it for an operator). */
  enum class Verdict : std::uint8_t { kAccepted, kRetry, kRefused } verdict = Verdict::kAccepted;
  std::string detail{};  // operator-safe (codes and their displays, never PHI)
};

/** OutboundRenderer: renders translated messages in one format for recipients that want it. */
class OutboundRenderer {
public:
  virtual ~OutboundRenderer() = default;
  /** format: the subscription `format` it serves ("fhir-r4", "hl7v2", ...). */
  [[nodiscard]] virtual std::string_view format() const = 0;
  /** render: kUnprocessable when the message has nothing this format can carry. */
  [[nodiscard]] virtual Result<Rendered> render(const RenderRequest& r) const = 0;
  /**
   * read_answer: the business answer in `body` (what the recipient sent back, synchronously
   * with HTTP 2xx or later as its own message) to the message rendered with
   * `outbound_message_id`; nullopt when the format has none or `body` is not one for that
   * message. Default: none. Pure; thread-safe.
   */
  [[nodiscard]] virtual std::optional<BusinessAnswer> read_answer(
      std::string_view /*outbound_message_id*/, std::string_view /*body*/) const {
    return std::nullopt;
  }
};

}  // namespace gw::ingest
