// HL7 v2.4 ADT rendered from a translated message's Patient and Encounter, for recipients whose
// subscription asks for format "hl7v2".
#pragma once

#include "gateway/ingest/adapter.hpp"

namespace gw::adapters::hl7v2 {

/**
 * render_adt: the message as ADT: A01 when its Encounter is open (planned, arrived, in
 * progress), A03 when it is finished, A08 for a Patient alone (or any other Encounter status).
 * MSH-4 = r.sender, MSH-6 = r.recipient, MSH-7 = r.timestamp, MSH-10 = r.outbound_message_id;
 * PID from the Patient (NHS number as ^^^NHS^NH, hospital numbers as ^^^ODS^MR), PD1 from
 * generalPractitioner, PV1 from the Encounter. kUnprocessable when the message has no Patient.
 * Thread safety: pure.
 */
[[nodiscard]] Result<ingest::Rendered> render_adt(const ingest::RenderRequest& r);

}  // namespace gw::adapters::hl7v2
