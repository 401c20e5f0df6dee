// Data-sharing agreements (DSAs) as data: the typed model, the YAML loader (every mistake as
// `file:line: message`) and the checks across the whole set (overlaps, expiry, parties).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/policy/vocabulary.hpp"

namespace gw::policy {

using TimePoint = std::chrono::system_clock::time_point;

/** Party: one side of an agreement: an organisation by ODS code, or every organisation of a kind.
 */
struct Party {
  std::string ods;                      // set when the party is one organisation
  std::optional<config::OrgKind> kind;  // set when the party is a kind of organisation
  int line = 0;
};

/** Agreement: one data-sharing agreement, immutable once loaded. */
struct Agreement {
  std::string id;
  std::string title;
  std::string version;
  std::vector<Party> parties;
  std::uint8_t purposes = 0;  // bit i = Purpose i
  CategorySet categories = 0;
  std::vector<std::string> roles;              // RBAC job role codes allowed to see data under it
  std::vector<std::string> break_glass_roles;  // who may break the glass (default: roles)
  std::vector<std::string> legal_basis_6;      // UK GDPR art. 6(1) conditions, e.g. "6(1)(e)"
  std::vector<std::string> legal_basis_9;      // UK GDPR art. 9(2) conditions, e.g. "9(2)(h)"
  TimePoint valid_from{};
  TimePoint valid_to{};  // exclusive: the day after the last valid day, 00:00 UTC
  bool relationship_required = true;
  bool break_glass_allowed = false;
  bool objection_overridden_by_safeguarding = false;
  bool objection_overridden_by_break_glass = false;
  std::string file;  // where it was read from, for diagnostics and explanations
  int line = 0;

  [[nodiscard]] bool has_purpose(Purpose p) const {
    return (purposes & (1U << static_cast<unsigned>(p))) != 0;
  }
  /** valid_at: valid_from <= t < valid_to. */
  [[nodiscard]] bool valid_at(TimePoint t) const { return t >= valid_from && t < valid_to; }
};

/** FileReader: returns a named file's text, or nullopt when it cannot be read. */
using FileReader = std::function<std::optional<std::string>(const config::FileRef&)>;

/** read_from_disk: a FileReader over the file system (ref.path). */
[[nodiscard]] std::optional<std::string> read_from_disk(const config::FileRef& ref);

/** AgreementLoad: the agreements read, and every problem found (empty when all is well). */
struct AgreementLoad {
  std::vector<Agreement> agreements;
  std::vector<config::Diagnostic> errors;
};

/**
 * parse_agreement: reads one agreement from YAML text. `name` is used in diagnostics. Checks
 * each field (unknown category, role, purpose or legal basis; missing fields; bad dates) but
 * not the set (see check_agreements). Never throws.
 */
[[nodiscard]] AgreementLoad parse_agreement(std::string_view text, const std::string& name);

/**
 * check_agreements: the checks across the set, appending to `errors`: duplicate ids, a party
 * that is not a configured organisation (or a kind none is configured as), agreements that
 * overlap (same purpose, validity periods that meet, two or more organisations in common) and
 * agreements that have expired at `now`.
 */
void check_agreements(const std::vector<Agreement>& agreements, const config::Config& config,
                      TimePoint now, std::vector<config::Diagnostic>& errors);

/**
 * load_agreements: reads every file named by config.agreements through `read`, parses and
 * checks them. Agreements are returned only when there are no errors.
 */
[[nodiscard]] AgreementLoad load_agreements(const config::Config& config, const FileReader& read,
                                            TimePoint now);

}  // namespace gw::policy
