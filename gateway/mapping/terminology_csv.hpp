// Reading one terminology CSV file (mappings/terminology/*.csv): `# source:` comment lines, the
// fixed header, then rows, each code checked against its system. Internal to the loader.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/loader.hpp"
#include "gateway/mapping/mapping_set.hpp"
#include "gateway/mapping/systems.hpp"

namespace gw::mapping::detail {

/** TableRow: one checked row. */
struct TableRow {
  SystemRef from;
  std::string code, display;
  SystemRef to;
  std::string target_code, target_display;
  int line = 0;
};

/** LoadedTable: a table's description and its rows (only rows without errors). */
struct LoadedTable {
  CodeTable info;
  std::vector<TableRow> rows;
};

/** load_table: reads `path` (shown as `name` in diagnostics), appending problems to `errors`. */
[[nodiscard]] LoadedTable load_table(const std::string& path,
                                     std::vector<config::Diagnostic>& errors);

}  // namespace gw::mapping::detail
