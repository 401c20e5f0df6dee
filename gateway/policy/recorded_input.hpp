// Recorded decision inputs as JSON (one object per line), so a dry run can replay requests the
// audit log kept. Holds codes and ids; the NHS number is there because the audit log keeps it
// (never write these lines to the ordinary log).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "gateway/core/error.hpp"
#include "gateway/policy/explain.hpp"

namespace gw::policy {

/**
 * parse_recorded_input: one RecordedInput from JSON:
 *   {"id", "at" (UTC instant "YYYY-MM-DDThh:mm:ssZ"),
 *    "requester": {"system", "user", "role", "organisation", "purpose"},
 *    "patient": {"nhsNumber", "registeredPractice", "objection",
 *                "episodes": [{"kind", "org", "open", "start", "end", "careCoordinator"}]},
 *    "resources": [{"type", "id", "category", "sensitivity": [class...], "source"}],
 *    "breakGlass": {"reason", "grantedAt", "expiresAt"}}   (optional)
 * Episode kinds: admission, attendance, mental-health-episode, social-care-case,
 * ambulance-incident. @return kBadRequest naming the first field that is wrong
 */
[[nodiscard]] Result<RecordedInput> parse_recorded_input(std::string_view json);

/** recorded_input_json: the same shape, for whoever records decisions (the audit writer). */
[[nodiscard]] std::string recorded_input_json(const RecordedInput& input);

/**
 * recorded_resources_json: the "resources" array of a recorded input alone, for a caller that
 * records the same resources again and again (RecordedInput::resources_json).
 */
[[nodiscard]] std::string recorded_resources_json(std::span<const RecordedResource> resources);

/** parse_instant / format_instant: UTC instants "YYYY-MM-DDThh:mm:ssZ". */
[[nodiscard]] std::optional<TimePoint> parse_instant(std::string_view s);
[[nodiscard]] std::string format_instant(TimePoint t);

}  // namespace gw::policy
