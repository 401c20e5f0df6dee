// RFC 4180 field splitting for one CSV record. Hand-written: Debian 12 has no C++ CSV library
// worth a dependency for records without multi-line fields; the quoting rules take 30 lines.
#include "gateway/core/csv_line.hpp"

namespace gw {

std::optional<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = true;
      was_quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  if (quoted) {
    return std::nullopt;
  }
  out.push_back(std::move(field));
  return out;
}

}  // namespace gw
