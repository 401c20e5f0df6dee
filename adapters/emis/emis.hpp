// The EMIS / GP adapter's public surface: the two inbound adapters a GP practice uses (GP Connect
// Access Record: Structured, and the EMIS XML extract), the GP Connect Send Document renderer for
// correspondence to the practice, and the offline helpers `caregw translate` uses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::adapters::emis {

/** kMetaSourcePrefix: every resource's meta.source is this followed by the practice's ODS code. */
inline constexpr std::string_view kMetaSourcePrefix = "urn:caregw:ods:";

/**
 * make_gpconnect_adapter: InboundAdapter "gpconnect": a GP Connect Access Record: Structured
 * response (FHIR STU3 Bundle, collection or searchset) converted to R4 UK Core. kind "gp-record",
 * event "gpc.getstructuredrecord". Stateless and thread-safe.
 */
[[nodiscard]] std::unique_ptr<ingest::InboundAdapter> make_gpconnect_adapter();

/**
 * make_emis_xml_adapter: InboundAdapter "emis-xml": the EMIS XML extract a practice pushes
 * (format in adapters/emis/README.md), translated to R4 UK Core; acknowledge() answers with the
 * XML acknowledgement documented there. kind "gp-record", event "emis-extract".
 */
[[nodiscard]] std::unique_ptr<ingest::InboundAdapter> make_emis_xml_adapter();

/**
 * make_send_document_renderer: OutboundRenderer "gp-connect-send-document": a translated
 * message's document (its Composition, DocumentReference or a summary of its resources) as an
 * ITK3 GP Connect Send Document message (ITK007C, FHIR STU3 XML) for the registered practice.
 */
[[nodiscard]] std::unique_ptr<ingest::OutboundRenderer> make_send_document_renderer();

/** ItkResponse: what a practice's ITK3 response (ITK008M) says about a message we sent. */
struct ItkResponse {
  /** in_reply_to: MessageHeader.response.identifier: the answered message's MessageHeader.id,
   * which the Send Document renderer sets to RenderRequest::outbound_message_id. */
  std::string in_reply_to;
  /** outcome: ok (delivered / accepted), transient-error (try again), fatal-error (do not). */
  enum class Outcome : std::uint8_t { kOk, kTransientError, kFatalError } outcome = Outcome::kOk;
  struct Code {
    std::string system, code, display;  // ITK-ResponseCodes-1 / ITK-Acknowledgement-1 codings
  };
  std::vector<Code> codes;  // from the OperationOutcome that response.details names
};

/**
 * read_itk_response: an ITK3 response (STU3 message Bundle, XML or JSON, event ITK008M) to a
 * GP Connect Send Document message. kBadRequest when unreadable, kUnprocessable with the element
 * ("Bundle.entry[0].resource.event: ...") when it is not an ITK3 response. Pure; thread-safe.
 */
[[nodiscard]] Result<ItkResponse> read_itk_response(std::string_view body);

/**
 * answer_of: what the delivery of the answered message comes to: ok -> accepted,
 * transient-error -> retry, fatal-error -> refused; the detail names the outcome and the
 * response codes ("ITK3 response fatal-error: 10001 ..."), at most 300 bytes.
 */
[[nodiscard]] ingest::BusinessAnswer answer_of(const ItkResponse& response);

/** OfflineTranslation: an R4 Bundle (collection) of a message's resources, for the CLI. */
struct OfflineTranslation {
  std::string bundle_json;            // pretty-printed, newline-terminated
  std::vector<std::string> warnings;  // "where: what", never PHI
};

/**
 * translate_emis_xml_offline: an EMIS XML extract to an R4 collection Bundle, taking the sender
 * to be the practice the extract names (`caregw translate --from emis-xml --to fhir-r4`).
 */
[[nodiscard]] Result<OfflineTranslation> translate_emis_xml_offline(std::string_view body,
                                                                    const mapping::Mapper& mapper);

/**
 * translate_gpconnect_offline: a GP Connect structured record to an R4 collection Bundle, taking
 * the sender to be the practice the record names (`caregw translate --from gpconnect`).
 */
[[nodiscard]] Result<OfflineTranslation> translate_gpconnect_offline(std::string_view body,
                                                                     const mapping::Mapper& mapper);

/** to_r4_bundle: the resources of a translated message as an R4 collection Bundle (JSON). */
[[nodiscard]] std::string to_r4_bundle(const ingest::TranslatedMessage& message);

}  // namespace gw::adapters::emis
