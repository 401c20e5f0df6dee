// Terminology CSV files: the fixed header, then rows, each code checked against its system
// (fields split by gateway/core/csv_line.hpp).
#include "gateway/mapping/terminology_csv.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include "gateway/core/csv_line.hpp"
#include "gateway/mapping/loader.hpp"

namespace gw::mapping::detail {

namespace {

using Key = std::tuple<std::string, std::string, std::string>;

class TableReader {
public:
  TableReader(const std::string& path, std::vector<config::Diagnostic>& errors)
      : path_(path), errors_(errors) {}

  void error(int line, std::string msg) { errors_.push_back({path_, line, std::move(msg)}); }

  LoadedTable read() {
    LoadedTable t;
    t.info.file = path_;
    t.info.name = std::filesystem::path(path_).stem().string();
    std::ifstream f(path_, std::ios::binary);
    if (!f) {
      error(0, "cannot read the file");
      return t;
    }
    std::string text;
    int line_no = 0;
    bool header_seen = false;
    while (std::getline(f, text)) {
      ++line_no;
      if (!text.empty() && text.back() == '\r') {
        text.pop_back();
      }
      if (text.empty()) {
        continue;
      }
      if (text.front() == '#') {
        if (!header_seen) {
          note_comment(text, t);
        }
        continue;
      }
      if (!header_seen) {
        header_seen = true;
        check_header(text, line_no, t);
        continue;
      }
      row(text, line_no, t);
    }
    if (!header_seen) {
      error(line_no, "no header line (expected: " + std::string(kCsvHeader) + ")");
    }
    t.info.rows = t.rows.size();
    return t;
  }

private:
  static void note_comment(const std::string& text, LoadedTable& t) {
    constexpr std::string_view kSource = "# source:";
    if (text.starts_with(kSource)) {
      auto s = text.substr(kSource.size());
      s.erase(0, s.find_first_not_of(' '));
      if (!s.empty()) {
        t.info.sources.push_back(s);
      }
    }
  }

  void check_header(const std::string& text, int line_no, const LoadedTable& t) {
    if (t.info.sources.empty()) {
      error(1,
            "a terminology table must open with '# source: ...' line(s) saying where its rows "
            "come from");
    }
    if (text != kCsvHeader) {
      error(line_no, "the header must be: " + std::string(kCsvHeader));
    }
  }

  std::optional<SystemRef> system(const std::string& name, int line_no, std::string_view column) {
    auto s = resolve_system(name);
    if (!s) {
      error(line_no,
            "unknown system '" + name + "' in " + std::string(column) +
                " (an alias such as snomed, read-v2, icd-10, a known URI, or local:<name>)");
    }
    return s;
  }

  bool code(const std::optional<SystemRef>& s, const std::string& code, int line_no,
            std::string_view column) {
    if (!s) {
      return false;
    }
    const auto why = check_code(*s, code);
    if (!why.empty()) {
      error(line_no, std::string(column) + " '" + code + "': " + why + " (" + s->alias + ")");
      return false;
    }
    return true;
  }

  void row(const std::string& text, int line_no, LoadedTable& t) {
    auto fields = gw::split_csv_line(text);
    if (!fields) {
      error(line_no, "a quoted field is not closed");
      return;
    }
    if (fields->size() != 6) {
      error(line_no, "expected 6 fields, found " + std::to_string(fields->size()));
      return;
    }
    auto& f = *fields;
    auto from = system(f[0], line_no, "source_system");
    auto to = system(f[3], line_no, "target_system");
    const bool ok_from = code(from, f[1], line_no, "source_code");
    const bool ok_to = code(to, f[4], line_no, "target_code");
    if (!ok_from || !ok_to) {
      return;
    }
    Key key{from->uri, f[1], to->uri};
    auto [it, inserted] = seen_.emplace(key, line_no);
    if (!inserted) {
      error(line_no, "duplicate row: " + from->alias + " " + f[1] + " to " + to->alias +
                         " is already mapped at line " + std::to_string(it->second));
      return;
    }
    t.rows.push_back(TableRow{*from, f[1], f[2], *to, f[4], f[5], line_no});
  }

  const std::string& path_;
  std::vector<config::Diagnostic>& errors_;
  std::map<Key, int> seen_;
};

}  // namespace

LoadedTable load_table(const std::string& path, std::vector<config::Diagnostic>& errors) {
  return TableReader(path, errors).read();
}

}  // namespace gw::mapping::detail
