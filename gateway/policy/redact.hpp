// Redaction for FHIR JSON (RapidJSON): drop withheld resources and every reference to them,
// build the OperationOutcome notice (category and reason, never content), and constrain a
// search before results are gathered so totals and paging never count a withheld resource.
#pragma once

#include <cstddef>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/policy/engine.hpp"

namespace gw::policy {

/** Notice: one "something was withheld" line: why, and what kind of data (no content). */
struct Notice {
  Rule rule = Rule::kNoAgreement;
  DataCategory category = DataCategory::kDemographics;
  SensitivitySet classes = 0;  // for kLegalExclusion: the classes (each named in the text)
  std::size_t count = 0;       // how many resources it covers (for audit; not shown)
};

/** notices: the withheld decisions grouped by (rule, category, classes), in first-seen order. */
[[nodiscard]] std::vector<Notice> notices(std::span<const ResourceDecision> decisions);

/**
 * notice_text: the sentence shown to the user, e.g. "Some problems information is withheld
 * at the patient's request." or "Some information about termination of pregnancy is withheld
 * (a legal exclusion)." Never names a code, a resource or a patient.
 */
[[nodiscard]] std::string notice_text(const Notice& n);

/**
 * operation_outcome: an OperationOutcome with one issue per notice (severity information,
 * code "suppressed"; details.coding gives the caregw rule and category or class codes).
 */
[[nodiscard]] fhir::Json operation_outcome(std::span<const Notice> notices);

/**
 * strip_references: removes every Reference element (an object with "reference") below `v` that
 * points at one of `withheld` ("Type/id" or a fullUrl), and any object or array left empty by
 * that (a diagnosis that held only the reference). @return how many were removed
 */
std::size_t strip_references(rapidjson::Value& v,
                             const std::set<std::string, std::less<>>& withheld);

/** RedactSummary: what redact_bundle removed. */
struct RedactSummary {
  std::size_t removed_resources = 0;
  std::size_t removed_references = 0;
  std::vector<Notice> notices;
};

/**
 * redact_bundle: in a Bundle whose entry[i] was decided by decisions[i], removes the withheld
 * entries, removes every Reference element (an object with "reference") that points at a
 * removed resource ("Type/id" or its fullUrl), fixes a searchset's total to the entries kept
 * with search.mode "match", and appends one OperationOutcome entry when anything was withheld
 * (search.mode "outcome" in a searchset).
 * @return kBadRequest if `bundle` is not a Bundle or the counts differ
 */
[[nodiscard]] Result<RedactSummary> redact_bundle(fhir::Json& bundle,
                                                  std::span<const ResourceDecision> decisions);

/** SearchPage: one page of a constrained search. */
struct SearchPage {
  std::size_t total = 0;             // permitted candidates only: what Bundle.total must say
  std::vector<std::size_t> indices;  // positions in `candidates` to fetch for this page
  std::size_t withheld = 0;          // for the audit record only; never in the response
};

/**
 * constrain_search: decides every candidate (facts only, before any resource is fetched) and
 * pages the permitted ones. Totals, offsets and page sizes count permitted resources only, so
 * neither the total nor the paging reveals a withheld resource. Use it for _include and
 * chained results too: every resource that will be returned passes through it.
 */
[[nodiscard]] SearchPage constrain_search(const AccessGrant& grant,
                                          std::span<const ResourceFacts> candidates,
                                          std::size_t offset, std::size_t count);

}  // namespace gw::policy
