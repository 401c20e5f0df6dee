// FHIR R4 OperationOutcome for errors, and the response media types the API speaks.
#pragma once

#include <string>
#include <string_view>

#include "gateway/core/error.hpp"

namespace gw::fhir {

inline constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";

/**
 * operation_outcome_json: an OperationOutcome with one error issue: its code from the error kind,
 * `details.text` the human message, and `diagnostics` naming the request id so an operator can
 * find the log lines. The detail must be operator-safe (no PHI).
 */
[[nodiscard]] std::string operation_outcome_json(const Error& e, std::string_view request_id);

}  // namespace gw::fhir
