// The query of GET /policy/explain: who would ask (organisation, role, user, purpose of use),
// about which patient and which kind of data, with or without break-glass. Parsed once into a
// typed struct; every refusal names the parameter and what was wrong with it (never its value).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/policy/engine.hpp"

namespace gw::pipeline {

/** ExplainQuery: a hypothetical request to explain (GET /policy/explain). */
struct ExplainQuery {
  policy::User user;                       // id (may be empty), role code, organisation, purpose
  std::string nhs_number;                  // checked (Modulus 11); whose context the caller gathers
  std::string resource_type;               // the FHIR type asked about, if one was named
  policy::DataCategory category{};         // the category asked about (or the type's usual one)
  policy::SensitivitySet sensitivity = 0;  // sensitive classes of the data asked about
  std::string source;                      // source organisation (ODS); empty: the requester's
  bool break_glass = false;                // as if the user had broken the glass
  policy::BreakGlassReason break_glass_reason = policy::BreakGlassReason::kEmergencyTreatment;
};

/**
 * parse_explain_query: the query parameters of GET /policy/explain.
 * Required: organisation (ODS code), role (a known NHS RBAC job role code), purpose (a purpose
 * of use code), patient (an NHS number, bare or https://fhir.nhs.uk/Id/nhs-number|N), and
 * resource-type (a FHIR type with a usual category) or category (a data category), or both
 * (category wins). Optional: user (the user id, for the care coordinator relationship),
 * sensitivity (comma-separated sensitive classes), source (ODS code of the organisation the
 * data comes from), break-glass (true|false), break-glass-reason (a break-glass reason code),
 * _format and _pretty (ignored here). Each parameter at most once; unknown parameters refused.
 * @return the query, or kBadRequest naming the parameter that is missing or bad
 */
[[nodiscard]] Result<ExplainQuery> parse_explain_query(
    const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace gw::pipeline
