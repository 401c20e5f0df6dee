// What a GP Connect provider's answer to the structured record request means: a Bundle for the
// patient asked about, or an error naming the practice and GP Connect's Spine error code
// (PATIENT_NOT_FOUND, INVALID_NHS_NUMBER, NO_RELATIONSHIP, ...). Pure: no I/O. Error details
// never carry the patient's data or the provider's free text (its diagnostics may name them).
#pragma once

#include <string>
#include <string_view>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/routing/http_call.hpp"

namespace gw::gpconnect {

/** kSpineErrorSystem: the CodeSystem of GP Connect's error codes (STU3). */
inline constexpr std::string_view kSpineErrorSystem =
    "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1";

/**
 * spine_error_code: the Spine error code of an OperationOutcome (issue[].details.coding[] in
 * kSpineErrorSystem, or any coding when none is in it), or empty when the body is not an
 * OperationOutcome or carries none.
 */
[[nodiscard]] std::string spine_error_code(std::string_view body);

/** explain_spine_error: a short operator-facing meaning of a Spine error code ("" if unknown). */
[[nodiscard]] std::string_view explain_spine_error(std::string_view code);

/**
 * check_answer: accepts a 200 whose body is a Bundle holding a Patient with `nhs_number`.
 * Otherwise kUpstreamUnavailable (HTTP 502 to our caller) naming the practice, the HTTP status
 * and the Spine error code when the provider sent an OperationOutcome; kUpstreamTimeout for a
 * provider's 504; kUpstreamMalformed for a 200 that is not such a Bundle (not JSON, not a
 * Bundle, no Patient, or a Patient with another NHS number).
 */
[[nodiscard]] Result<void> check_answer(const routing::HttpAnswer& answer, const OdsCode& practice,
                                        const NhsNumber& nhs_number);

}  // namespace gw::gpconnect
