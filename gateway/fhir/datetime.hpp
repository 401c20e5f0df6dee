// FHIR date, dateTime, instant and time formats (http://hl7.org/fhir/R4/datatypes.html).
#pragma once

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

}  // namespace gw::fhir
