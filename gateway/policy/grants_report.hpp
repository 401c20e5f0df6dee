// The break-glass grants in force, as information governance reads them: one formatter for
// GET /audit/break-glass/grants (JSON) and `caregw audit break-glass grants` (JSON or a table).
// Pure: the caller hands in the grants (BreakGlassRegistry::active_records, or
// SqliteGrantStore::load_open) and the time they were read.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "gateway/policy/break_glass.hpp"

namespace gw::policy {

/**
 * sort_grants: oldest opened first, then user and patient (a stable order for the listing).
 */
void sort_grants(std::vector<GrantRecord>& grants);

/**
 * grants_json: {"asOf", "total", "grants": [{"user", "organisation", "role", "patient",
 * "reason", "justification", "opened", "expires", "auditSeq"}]}; "role" is omitted for a grant
 * kept before roles were recorded, "auditSeq" (the seq of its break-glass audit record) while
 * it is not yet linked. Times are FHIR instants (UTC).
 * @param grants in the order to list them (sort_grants)
 * @param now the time the grants were read (asOf)
 */
[[nodiscard]] std::string grants_json(std::span<const GrantRecord> grants, TimePoint now);

/**
 * grants_text: a table, one grant per line (opened, expires, user, organisation, role, patient,
 * reason, justification), then "N break-glass grants in force at <time>". Control characters in
 * a justification are shown as spaces so each grant stays on one line.
 */
[[nodiscard]] std::string grants_text(std::span<const GrantRecord> grants, TimePoint now);

}  // namespace gw::policy
