// A CDA R2 ClinicalDocument as the NHS CDA messages carry it (NPfIT localisation, e.g. a
// discharge summary or an ambulance patient report) to what the gateway needs: the patient's
// identity, the author, the encounter, and the document itself as a DocumentReference with the
// original attached.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/itk/xml_tree.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::adapters::itk {

/** NHS number roots in CDA (shared/reference/standards.md section 1). */
inline constexpr std::string_view kNhsNumberVerifiedRoot = "2.16.840.1.113883.2.1.4.1";
inline constexpr std::string_view kNhsNumberUnverifiedRoot = "2.16.840.1.113883.2.1.3.2.4.18.23";

/** CdaInput: one CDA payload and where it came from. */
struct CdaInput {
  const xmlNode* document = nullptr;  // the hl7:ClinicalDocument element
  std::string original;               // the document as bytes, attached to the DocumentReference
  std::string content_type;           // the manifest item's mimetype
  std::string location;               // where the document is in the message, for errors
};

/** CdaTranslation: the patient and resources one CDA document yields. */
struct CdaTranslation {
  std::optional<identity::IncomingIdentity> patient;
  /** registered_practice: patientRole/providerOrganization (the patient's GP practice in the
   * NHS CDA patient template) by its ODS code (root ...19.1) or ODS site code (root ...19.2). */
  std::optional<OdsCode> registered_practice;
  std::vector<ingest::TranslatedResource> resources;  // DocumentReference first
  std::vector<std::string> warnings;
};

/**
 * translate_cda: reads the document's recordTarget (NHS number from id root
 * 2.16.840.1.113883.2.1.4.1 (verified, 01) or ...18.23 (unverified, 02), name, birth time,
 * gender through `mapper` map "cda_gender", address, telecom, a local id as an MRN), author
 * (Practitioner), componentOf/encompassingEncounter (Encounter) and the document
 * (DocumentReference with the original as a base64 attachment).
 * @return kUnprocessable ("location: what") for a document without a patient identifier, an NHS
 * number that fails its check digit, or a missing document id; never an NHS number or name in
 * the detail.
 */
[[nodiscard]] Result<CdaTranslation> translate_cda(const CdaInput& in, const OdsCode& sender,
                                                   const mapping::Mapper& mapper);

/**
 * attachment_reference: a DocumentReference for a payload that is not a CDA document (kept as
 * sent, base64 attachment), with a stable id from the tracking id and payload id.
 */
[[nodiscard]] ingest::TranslatedResource attachment_reference(std::string_view tracking_id,
                                                              std::string_view payload_id,
                                                              std::string_view content_type,
                                                              std::string_view profile,
                                                              std::string_view bytes);

/** stable_id: a FHIR id ([A-Za-z0-9.-]{1,64}) from a prefix and source identifiers: the
 * identifiers themselves when they fit, else a hash of them. Same input, same id. */
[[nodiscard]] std::string stable_id(std::string_view prefix, std::string_view a,
                                    std::string_view b = {});

}  // namespace gw::adapters::itk
