// Splitting one CSV record into its fields (RFC 4180 quoting), shared by the readers of the
// terminology tables (gateway/mapping) and the staff directory (gateway/config).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw {

/**
 * split_csv_line: the fields of one CSV record (RFC 4180 quoting: "a, b" and "" inside quotes).
 * @return nullopt when a quote is not closed on the line (records may not span lines here).
 */
[[nodiscard]] std::optional<std::vector<std::string>> split_csv_line(std::string_view line);

}  // namespace gw
