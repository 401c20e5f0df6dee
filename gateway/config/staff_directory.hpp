// The staff directory (config `audit.staff_directory`): each user's own family name and address,
// read from a CSV file with the config so a bad file fails `caregw check-config` and a reload.
// The audit log's unusual-activity report compares them with the patients users open.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/loader.hpp"

namespace gw::config {

/** StaffMember: one row of the staff directory, as written (checked, not normalised). */
struct StaffMember {
  std::string user_id;       // the bearer token's `sub`, as the audit record's user id
  std::string family_name;   // the user's own family name
  std::string postcode;      // UK postcode of their home address, "SE1 7PB" (upper case, one space)
  std::string address_line;  // first line of that address; may be empty
  int line = 0;              // where it was in the file
};

/** StaffDirectory: the checked rows, looked up by user id. Immutable once built. */
class StaffDirectory {
public:
  /** StaffDirectory: takes `members` (user ids unique) read from `file`. */
  StaffDirectory(std::string file, std::vector<StaffMember> members);

  /** find: the member with this user id, or nullptr. Thread-safe (const). */
  [[nodiscard]] const StaffMember* find(std::string_view user_id) const;
  /** size: how many members. */
  [[nodiscard]] std::size_t size() const { return members_.size(); }
  /** file: the file it was read from (as resolved). */
  [[nodiscard]] const std::string& file() const { return file_; }

private:
  std::string file_;
  std::vector<StaffMember> members_;  // sorted by user_id
};

using StaffDirectoryPtr = std::shared_ptr<const StaffDirectory>;

/**
 * parse_staff_directory: reads CSV text (RFC 4180 fields, one record a line; a header row naming
 * the columns `user_id`, `family_name`, `postcode` and optionally `address_line`, in any order;
 * blank lines and lines starting with `#` are skipped). Each problem is appended to `errors` as
 * `name:line: message`; messages name the column, never repeat a name or address.
 * @return the directory, or nullptr when there was any error
 */
[[nodiscard]] StaffDirectoryPtr parse_staff_directory(std::string_view text,
                                                      const std::string& name,
                                                      std::vector<Diagnostic>& errors);

}  // namespace gw::config
