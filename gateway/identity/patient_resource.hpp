// The MPI's people as FHIR R4 Patient resources (UK Core), and the searchset Bundle of a Patient
// search with match scores and grades, as PDS and FHIR $match answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/identity/mpi_service.hpp"

namespace gw::identity {

/** kLocalIdSystemPrefix: local identifiers are "urn:caregw:id:<ODS>:<type>" (e.g. ...:mrn). */
inline constexpr std::string_view kLocalIdSystemPrefix = "urn:caregw:id:";

/** local_id_system: the identifier system of a local identifier type at one organisation. */
[[nodiscard]] std::string local_id_system(const OdsCode& source, store::LocalIdType type);

/**
 * parse_local_id_system: the inverse: the LocalId for an identifier system and value.
 * @return nullopt when the system is not a caregw local identifier system.
 */
[[nodiscard]] std::optional<store::LocalId> parse_local_id_system(std::string_view system,
                                                                  std::string_view value);

/** patient_id: the Patient's logical id: its NHS number, or "mpi-<person id>" without one. */
[[nodiscard]] std::string patient_id(const store::Person& p);

/** PatientRef: what a Patient logical id names. */
struct PatientRef {
  std::optional<NhsNumber> nhs_number{};
  std::optional<store::PersonId> person{};
};

/** parse_patient_id: an NHS number or "mpi-<n>"; kBadRequest (naming no value) otherwise. */
[[nodiscard]] Result<PatientRef> parse_patient_id(std::string_view id);

/**
 * patient_json: the person as a UK Core Patient: the NHS number with its verification status,
 * every local identifier (with the organisation that assigned it), the most complete current
 * source's name, gender, birth date, address and telecom, earlier surnames as "old" names, and a
 * "replaces" link for every person merged into it. meta.source names the source of the details.
 */
[[nodiscard]] std::string patient_json(const store::PersonView& view);

/**
 * details_source: the ODS code of the organisation whose details the Patient shows
 * (patient_json's meta.source: the most complete current version), or empty when none is held.
 */
[[nodiscard]] std::string details_source(const store::PersonView& view);

/**
 * shown_details: the demographics version patient_json shows (the most complete current one,
 * the most recent among equals), or nullptr when none is held.
 */
[[nodiscard]] const store::DemographicsVersion* shown_details(const store::PersonView& view);

/** SearchEntry: one entry of a Patient searchset. */
struct SearchEntry {
  const store::PersonView* person = nullptr;
  std::optional<MatchScore> score{};  // set for demographic searches
};

/**
 * search_bundle_json: a searchset Bundle (total = entries; entries with fullUrl, the Patient,
 * search.mode "match" and, when scored, search.score 0..1 and the match-grade extension).
 * @param base_url e.g. "https://localhost:8443/fhir" @param self the search's own URL
 */
[[nodiscard]] std::string search_bundle_json(const std::vector<SearchEntry>& entries,
                                             std::string_view base_url, std::string_view self,
                                             std::string_view bundle_id, std::string_view now);

}  // namespace gw::identity
