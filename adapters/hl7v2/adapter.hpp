// The HL7 v2 adapter's factories: the InboundAdapter "hl7v2" (ADT and ORU^R01 from acute trusts'
// PAS/EPR) and the OutboundRenderer for subscriptions with format "hl7v2".
#pragma once

#include <memory>

#include "gateway/ingest/adapter.hpp"

namespace gw::adapters::hl7v2 {

/** kAckContentType: the media type of HL7 v2 ER7 text (as acknowledge() returns). */
inline constexpr std::string_view kContentType = "x-application/hl7-v2+er7";

/**
 * make_hl7v2_adapter: the InboundAdapter named "hl7v2": translate() parses (message.hpp) and
 * translates (translate.hpp) one message with the mappings of Adapter::kAcute for the sender;
 * acknowledge() builds the HL7 ACK (ack.hpp); message_id() reads MSH-10 without a full parse.
 * Stateless and thread-safe: one instance serves every connection.
 */
[[nodiscard]] std::unique_ptr<ingest::InboundAdapter> make_hl7v2_adapter();

/** make_hl7v2_renderer: the OutboundRenderer with format "hl7v2" (render.hpp). Thread-safe. */
[[nodiscard]] std::unique_ptr<ingest::OutboundRenderer> make_hl7v2_renderer();

}  // namespace gw::adapters::hl7v2
