// Checks of the UK Core rules caregw relies on, over R4 JSON resources. This is NOT a full FHIR
// validator and does not claim to be: what is checked is listed in gateway/fhir/README.md.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/error.hpp"

namespace gw::fhir {

/** Issue: one finding, with the element's FHIRPath-like location (e.g.
 * Patient.identifier[0].value). */
struct Issue {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string code;  // FHIR IssueType: required, value, code-invalid, invalid, structure, not-found
  std::string path;
  std::string message;  // names the rule; never repeats a value that could be PHI
};

/**
 * check_uk_core: checks one R4 resource (a Bundle with its entries): required elements, the
 * value sets that matter, NHS number identifiers (system and Modulus 11), their verification
 * status coding, date/dateTime/instant formats, element cardinality and primitive types where
 * the element schema knows them, and that references inside a Bundle resolve.
 * @return every issue found; an empty list when the resource passes.
 */
[[nodiscard]] std::vector<Issue> check_uk_core(const rapidjson::Value& resource);

/** has_errors: whether any issue is an error (warnings alone pass). */
[[nodiscard]] bool has_errors(const std::vector<Issue>& issues);

/** operation_outcome: the issues as an R4 OperationOutcome (information "all OK" when empty). */
[[nodiscard]] std::string operation_outcome(const std::vector<Issue>& issues);

}  // namespace gw::fhir
