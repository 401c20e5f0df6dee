// The IG reports as people and programs read them: the text the CLI prints and the JSON the HTTP
// API answers, one rendering each, so that `caregw audit ...` and `GET /audit/...` say the same.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/reports.hpp"

namespace gw::audit {

/** access_report_text: "who has accessed my record", one sentence a line (or a line saying no
 * one has). */
[[nodiscard]] std::string access_report_text(const std::vector<AccessEntry>& entries);

/** access_report_json: {"report": "access-history", "patient": N, "entries": [{"seq",
 * "recorded", "sentence"}]} (recorded as an ISO 8601 UTC time). */
[[nodiscard]] std::string access_report_json(std::string_view nhs_number,
                                             const std::vector<AccessEntry>& entries);

/** denied_report_text: the refusals table (count, last, organisation, user), most first. */
[[nodiscard]] std::string denied_report_text(const std::vector<DeniedCount>& rows);

/** denied_report_json: {"report": "denied", "from"?, "to"?, "rows": [{"user", "organization",
 * "refusals", "last"}]}. */
[[nodiscard]] std::string denied_report_json(const std::vector<DeniedCount>& rows,
                                             std::optional<std::int64_t> from_us,
                                             std::optional<std::int64_t> to_us);

/**
 * unusual_report_text: the thresholds in force, what was not checked (`not_checked`, e.g. why the
 * surname and address checks did not run; empty when everything ran), then one line a finding.
 */
[[nodiscard]] std::string unusual_report_text(const std::vector<UnusualFinding>& findings,
                                              const UnusualThresholds& t,
                                              std::string_view not_checked);

/** unusual_report_json: {"report": "unusual-activity", "thresholds": {...}, "notChecked"?,
 * "findings": [{"kind", "user", "patients", "from", "to", "firstRecord", "patient"?}]}. */
[[nodiscard]] std::string unusual_report_json(const std::vector<UnusualFinding>& findings,
                                              const UnusualThresholds& t,
                                              std::string_view not_checked);

/** window_minutes: the unusual-activity window in whole minutes. */
[[nodiscard]] std::int64_t window_minutes(const UnusualThresholds& t);

}  // namespace gw::audit
