// Converting between MPI values and SQLite rows (internal to gateway/store/sqlite): times as
// INTEGER microseconds, dates as 'YYYY-MM-DD', list-valued demographics as JSON arrays, and a
// reader for each row shape of mpi_sql.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/store/mpi_types.hpp"
#include "gateway/store/sqlite/database.hpp"

namespace gw::store::sqlite::detail {

/** to_us / from_us: a time as microseconds since 1970-01-01T00:00:00Z, and back. */
[[nodiscard]] std::int64_t to_us(TimePoint t);
[[nodiscard]] TimePoint from_us(std::int64_t us);
[[nodiscard]] std::optional<TimePoint> from_optional_us(std::optional<std::int64_t> us);

/** format_date / parse_date: 'YYYY-MM-DD'; parse_date refuses anything else. */
[[nodiscard]] std::string format_date(std::chrono::year_month_day d);
[[nodiscard]] std::optional<std::chrono::year_month_day> parse_date(std::string_view s);

/** stored_*: a stored value parsed back; kInternal if the database holds something invalid. */
[[nodiscard]] Result<OdsCode> stored_ods(std::string_view text);
[[nodiscard]] Result<VerificationStatus> stored_verification(std::int64_t v);
[[nodiscard]] Result<NhsNumber> stored_nhs_number(std::string_view text);

/** *_json: the JSON array stored for a list-valued demographics field. */
[[nodiscard]] std::string strings_json(const std::vector<std::string>& list);
[[nodiscard]] std::string names_json(const std::vector<PersonName>& names);
[[nodiscard]] std::string telecom_json(const std::vector<ContactPoint>& list);

/** read_person: a row with the columns of mpi_sql::kPersonById. */
[[nodiscard]] Result<Person> read_person(const Statement& st);
/** read_demographics: a row with the columns of mpi_sql::kDemographicsAt. */
[[nodiscard]] Result<DemographicsVersion> read_demographics(const Statement& st);
/** read_merge: a row with the columns of mpi_sql::kMergesBySuperseded. */
[[nodiscard]] MergeRecord read_merge(const Statement& st);
/** read_review_item: a row with the columns of mpi_sql::kReviewItemById (no candidates). */
[[nodiscard]] Result<ReviewItem> read_review_item(const Statement& st);

}  // namespace gw::store::sqlite::detail
