// FHIR R4 messaging, built in: the inbound adapter for R4 message Bundles posted to
// `POST /fhir/$process-message` (mental health, social care and ambulance systems that speak R4),
// and the "fhir-r4" renderer that sends routed messages to R4 recipients.
#pragma once

#include <memory>
#include <optional>

#include <rapidjson/document.h>

#include "gateway/ingest/adapter.hpp"

namespace gw::ingest {

/** kMessageEventSystem: caregw's event codes on the MessageHeaders it sends (kind of message). */
inline constexpr std::string_view kMessageEventSystem =
    "https://caregw.dev/CodeSystem/message-event";

/**
 * identity_from_patient: the MPI's view of a FHIR (R4 or STU3) Patient: the NHS number with its
 * verification status (UK Core extension), names, birth date, gender, home postcode, address
 * lines, telecom, and a caregw local identifier (urn:caregw:id:<ODS>:<type>) if one is present.
 * Unreadable parts are left out and named in `warnings` ("Patient.birthDate: ...").
 */
[[nodiscard]] identity::IncomingIdentity identity_from_patient(const rapidjson::Value& patient,
                                                               const OdsCode& source,
                                                               std::vector<std::string>& warnings);

/**
 * make_fhir_r4_message_adapter: R4 Bundle (type message, JSON) in: the first entry a
 * MessageHeader (eventCoding.code is both the kind and the event), one Patient entry (the
 * subject), every other entry a resource with an id. Acknowledged with an R4 response message
 * (MessageHeader.response code ok / transient-error / fatal-error, plus an OperationOutcome).
 */
[[nodiscard]] std::unique_ptr<InboundAdapter> make_fhir_r4_message_adapter();

/**
 * make_fhir_r4_renderer: format "fhir-r4": an R4 message Bundle (MessageHeader with the event,
 * source and destination, the Patient, then the resources the recipient may have).
 */
[[nodiscard]] std::unique_ptr<OutboundRenderer> make_fhir_r4_renderer();

/** is_stu3_message: true when a message Bundle's MessageHeader is STU3-shaped (`event`, not
 * `eventCoding`): the ITK3 adapter's, not the R4 one's. */
[[nodiscard]] bool is_stu3_message(std::string_view body);

}  // namespace gw::ingest
