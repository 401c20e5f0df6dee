// The code systems a mapping may name (native lists and FHIR targets), each with an alias for the
// YAML and CSV files, the shape its codes must have, and the codes every value map from it must
// cover. A system not listed here (and not `local:<name>`) is an error in a mapping file.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gw::mapping {

/** CodeShape: how a code of a system is checked when a mapping file is loaded. */
enum class CodeShape : std::uint8_t {
  kAny,         // any non-empty text (local lists, free-text code lists such as CLD's)
  kSnomed,      // SNOMED CT identifier: 6-18 digits, no leading zero, Verhoeff check digit
  kReadV2,      // Read v2: 5 characters [A-Za-z0-9.], optionally a 2-character term id
  kIcd10,       // ICD-10: a letter, two digits, optionally ".", one or two more characters
  kDigits,      // digits only (NHS Data Dictionary numeric code lists)
  kUpperAlnum,  // upper-case letters and digits (HL7 tables, NHS DD letter codes)
  kClosed,      // one of a fixed list (`members`)
};

/** System: one known code system. */
struct System {
  std::string_view alias;  // how mapping files may name it, e.g. "snomed"
  std::string_view uri;    // the FHIR system URI (or a caregw URN for a native list with none)
  CodeShape shape = CodeShape::kAny;
  /** Codes a value map *from* this system must map (e.g. HL7 v2 sex: M, F, U). */
  std::span<const std::string_view> required;
  /** For kClosed: the only codes allowed. */
  std::span<const std::string_view> members;
  std::string_view title;  // for messages and the README
};

/** known_systems: every system mapping files may name, in a stable order. */
[[nodiscard]] std::span<const System> known_systems();

/** SystemRef: a resolved system name: a known System, or a site's `local:<name>` list. */
struct SystemRef {
  std::string alias;              // as written in alias form ("snomed", "local:ward")
  std::string uri;                // the system URI codes carry at run time
  const System* known = nullptr;  // nullptr for a local list (any non-empty code)
};

/**
 * resolve_system: the system named by `name` (an alias or a URI). `local:<name>` (a site's own
 * code list, letters, digits, '-' and '_') resolves to URI `urn:caregw:codes:local:<name>`.
 * @return nullopt when the name is unknown.
 */
[[nodiscard]] std::optional<SystemRef> resolve_system(std::string_view name);

/**
 * system_uri: the URI the codes of system `name` (an alias or a URI) carry: a known system's (a
 * view of a constant: the lookups of every coding make no string for it), a local list's (made
 * in `scratch`), or `name` itself when it names no system.
 */
[[nodiscard]] std::string_view system_uri(std::string_view name, std::string& scratch);

/** system_uri: the same, as a string of its own. */
[[nodiscard]] inline std::string system_uri(std::string_view name) {
  std::string scratch;
  return std::string(system_uri(name, scratch));
}

/**
 * check_code: why `code` is not a well-formed code of `system`, or empty when it is.
 * Thread safety: pure.
 */
[[nodiscard]] std::string check_code(const SystemRef& system, std::string_view code);

/** verhoeff_valid: whether `digits` (ASCII digits only) ends in a correct Verhoeff check digit. */
[[nodiscard]] bool verhoeff_valid(std::string_view digits);

}  // namespace gw::mapping
