// The staff directory CSV reader (staff_directory.hpp; format in gateway/audit/README.md).
#include "gateway/config/staff_directory.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <unordered_map>

#include "gateway/core/csv_line.hpp"
#include "gateway/identity/normalise.hpp"

namespace gw::config {
namespace {

/** Column: the columns a directory may have; the first three are required. */
enum class Column : std::uint8_t { kUserId, kFamilyName, kPostcode, kAddressLine };
constexpr std::array<std::string_view, 4> kColumnNames = {"user_id", "family_name", "postcode",
                                                          "address_line"};
constexpr std::size_t kRequiredColumns = 3;
constexpr std::size_t kMaxField = 256;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/** Reader: one pass over the text, collecting rows and diagnostics. */
class Reader {
public:
  Reader(const std::string& name, std::vector<Diagnostic>& errors) : name_(name), errors_(errors) {}

  void error(int line, std::string message) {
    errors_.push_back({name_, line, std::move(message)});
    ++count_;
  }

  /** header: maps each column name to its position; false when the header is unusable. */
  bool header(const std::vector<std::string>& fields, int line) {
    position_.fill(std::nullopt);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const std::string col = lower_ascii(trim(fields[i]));
      const auto* it = std::find(kColumnNames.begin(), kColumnNames.end(), col);
      if (it == kColumnNames.end()) {
        error(line, "unknown column '" + col +
                        "' (columns: user_id, family_name, postcode, address_line)");
        continue;
      }
      auto& slot = position_[static_cast<std::size_t>(it - kColumnNames.begin())];
      if (slot) {
        error(line, "column '" + col + "' appears twice");
      }
      slot = i;
    }
    width_ = fields.size();
    for (std::size_t c = 0; c < kRequiredColumns; ++c) {
      if (!position_[c]) {
        error(line, "missing column '" + std::string(kColumnNames[c]) +
                        "' (the header must name user_id, family_name and postcode)");
      }
    }
    return count_ == 0;
  }

  std::string field(const std::vector<std::string>& fields, Column c) const {
    const auto& pos = position_[static_cast<std::size_t>(c)];
    return pos ? trim(fields[*pos]) : std::string();
  }

  /** row: checks one record; adds it when good. Messages name the column, never the value. */
  void row(const std::vector<std::string>& fields, int line) {
    if (fields.size() != width_) {
      error(line, "has " + std::to_string(fields.size()) + " fields, the header has " +
                      std::to_string(width_));
      return;
    }
    StaffMember m{field(fields, Column::kUserId), field(fields, Column::kFamilyName),
                  field(fields, Column::kPostcode), field(fields, Column::kAddressLine), line};
    for (std::size_t c = 0; c < kColumnNames.size(); ++c) {
      if (position_[c] && fields[*position_[c]].size() > kMaxField) {
        error(line, std::string(kColumnNames[c]) + " is longer than " + std::to_string(kMaxField) +
                        " characters");
        return;
      }
    }
    if (m.user_id.empty()) {
      error(line, "user_id is empty");
      return;
    }
    if (m.family_name.empty()) {
      error(line, "family_name is empty");
      return;
    }
    auto pc = identity::parse_postcode(m.postcode);
    if (!pc) {
      error(line, "postcode: " + pc.error().detail);
      return;
    }
    m.postcode = pc->full;
    if (auto [it, fresh] = seen_.emplace(m.user_id, line); !fresh) {
      error(line,
            "user_id '" + m.user_id + "' is listed already at line " + std::to_string(it->second));
      return;
    }
    members_.push_back(std::move(m));
  }

  void read(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
      text.remove_prefix(3);  // a UTF-8 byte order mark, as spreadsheets write
    }
    bool have_header = false;
    int line = 0;
    while (!text.empty()) {
      ++line;
      const auto nl = text.find('\n');
      std::string_view raw = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      if (!raw.empty() && raw.back() == '\r') {
        raw.remove_suffix(1);
      }
      if (trim(raw).empty() || raw.front() == '#') {
        continue;
      }
      auto fields = split_csv_line(raw);
      if (!fields) {
        error(line, "a quoted field is not closed on its line");
        continue;
      }
      if (!have_header) {
        have_header = true;
        if (!header(*fields, line)) {
          return;  // without the columns no row can be read
        }
        continue;
      }
      row(*fields, line);
    }
    if (!have_header) {
      error(0, "no header row (user_id,family_name,postcode[,address_line])");
    }
  }

  std::vector<StaffMember> take() { return std::move(members_); }
  [[nodiscard]] std::size_t errors() const { return count_; }

private:
  const std::string& name_;
  std::vector<Diagnostic>& errors_;
  std::size_t count_ = 0;
  std::array<std::optional<std::size_t>, 4> position_{};
  std::size_t width_ = 0;
  std::vector<StaffMember> members_;
  std::unordered_map<std::string, int> seen_;
};

}  // namespace

StaffDirectory::StaffDirectory(std::string file, std::vector<StaffMember> members)
    : file_(std::move(file)), members_(std::move(members)) {
  std::sort(members_.begin(), members_.end(),
            [](const StaffMember& a, const StaffMember& b) { return a.user_id < b.user_id; });
}

const StaffMember* StaffDirectory::find(std::string_view user_id) const {
  const auto it =
      std::lower_bound(members_.begin(), members_.end(), user_id,
                       [](const StaffMember& m, std::string_view id) { return m.user_id < id; });
  return it != members_.end() && it->user_id == user_id ? &*it : nullptr;
}

StaffDirectoryPtr parse_staff_directory(std::string_view text, const std::string& name,
                                        std::vector<Diagnostic>& errors) {
  Reader r(name, errors);
  r.read(text);
  if (r.errors() > 0) {
    return nullptr;
  }
  return std::make_shared<const StaffDirectory>(name, r.take());
}

}  // namespace gw::config
