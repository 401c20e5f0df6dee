// HL7 v2 ADT and ORU^R01 messages translated to FHIR R4 (UK Core) resources, the patient's
// identity for the MPI, and merge requests: the work behind the "hl7v2" InboundAdapter.
#pragma once

#include <string_view>

#include "adapters/hl7v2/message.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::adapters::hl7v2 {

/** kHl7v2ErrorStage: Error::stage of everything this adapter refuses. */
inline constexpr std::string_view kStage = "hl7v2";

/**
 * translate_message: one parsed message as a TranslatedMessage (README.md, "Mapping"). `sender`
 * is the organisation the transport authenticated (identifier rules and value maps are looked up
 * for it). Refuses with kUnprocessable, detail "LOCATION: reason" (Location::str()), for an
 * unsupported message type or event, a required field missing, an invalid NHS number or date.
 * Thread safety: pure; safe to call concurrently.
 */
[[nodiscard]] Result<ingest::TranslatedMessage> translate_message(const Message& m,
                                                                  const OdsCode& sender,
                                                                  const mapping::Mapper& mapper);

/** supported_event: whether "ADT^A01"-style `event` is one this adapter translates. */
[[nodiscard]] bool supported_event(std::string_view event);

}  // namespace gw::adapters::hl7v2
