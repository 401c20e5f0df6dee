// FHIR date, dateTime, instant and time formats (http://hl7.org/fhir/R4/datatypes.html).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace gw::fhir {

enum class Temporal { kDate, kDateTime, kInstant, kTime };

/** temporal_name: "date", "dateTime", "instant" or "time". */
[[nodiscard]] std::string_view temporal_name(Temporal t);

/**
 * check_datetime: empty when `s` is a valid value of the type; otherwise why not, e.g.
 * "month 13 is out of range" or "a dateTime with a time needs a timezone". Checks calendar
 * validity (30 April, 29 February only in leap years). Never repeats the value.
 */
[[nodiscard]] std::string check_datetime(std::string_view s, Temporal t);

/** format_instant: a FHIR instant in UTC, "2024-03-01T09:00:00Z" (or with ".ffffff" when
 * `micros` and the time has a fraction). */
[[nodiscard]] std::string format_instant(std::chrono::system_clock::time_point t,
                                         bool micros = false);

}  // namespace gw::fhir
