// The typed model of a mapping set (what mappings/ holds once loaded and validated) and its
// run-time lookups. A MappingSet is immutable once built: many threads read one at a time, and a
// reload builds a new one (registry.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace gw::mapping {

/** Adapter: the native-side adapters a mapping set configures (mappings/<name>/). */
enum class Adapter : std::uint8_t { kAcute, kEmis, kLas, kMentalHealth, kAmbulance };
inline constexpr std::size_t kAdapterCount = 5;

/** adapter_name: the folder name under mappings/ ("acute", "emis", "las", ...). */
[[nodiscard]] std::string_view adapter_name(Adapter a);
/** parse_adapter: the adapter with this folder name, or nullopt. */
[[nodiscard]] std::optional<Adapter> parse_adapter(std::string_view name);
/** all_adapters: every adapter, in declaration order. */
[[nodiscard]] std::span<const Adapter> all_adapters();

/** Coding: a code in a system, with its display (as FHIR Coding). */
struct Coding {
  std::string system;  // URI
  std::string code;
  std::string display;
  bool operator==(const Coding&) const = default;
};

/** Mapped: the result of a lookup: the target coding, or the native one as it came. */
struct Mapped {
  Coding coding;
  bool mapped = false;  // false: `coding` is the input, unchanged (never dropped)
};

/**
 * IdentifierRule: where a native message carries one identifier and what it becomes. For HL7 v2
 * the element is "PID-3" and a repetition is picked by its CX-5 type code and CX-4 assigning
 * authority (or by position).
 */
struct IdentifierRule {
  std::string id;       // "nhs_number", or the local id type ("mrn", "emis-guid", ...)
  std::string element;  // the native element, e.g. "PID-3", "Patient/Identifier[@type='GUID']"
  int repetition = 0;   // 1-based repetition; 0: any repetition that matches the codes below
  std::vector<std::string> type_codes;  // accepted identifier type codes ("" = none sent)
  std::string assigning_authority;      // expected assigning authority ("" = any)
  std::string system;                   // target Identifier.system (may hold "{ods}")
  std::string default_ods;              // the assigner when the message names none
  std::string file;
  int line = 0;
};

/**
 * identifier_system: the rule's target Identifier.system with "{ods}" replaced by the assigning
 * organisation: `message_ods` (what the message names) if not empty, else the rule's
 * default_ods, else `sender_ods` (the organisation the client certificate proved).
 */
[[nodiscard]] std::string identifier_system(const IdentifierRule& rule,
                                            std::string_view message_ods,
                                            std::string_view sender_ods);

/** ValueMap: native codes of one element to target codings (one FHIR element). */
struct ValueMap {
  std::string name;     // e.g. "sex", "ethnic_category"
  std::string element;  // native element, e.g. "PID-8" (documentation for adapter writers)
  std::string target;   // target FHIR element, from the adapter's schema (schema.hpp)
  std::string from;     // source system URI
  std::string to;       // default target system URI
  std::map<std::string, Coding, std::less<>> codes;  // native code -> target
  std::string file;
  int line = 0;
};

/** Rules: identifier rules and value maps, for an adapter or for one sender's overrides. */
struct Rules {
  std::vector<IdentifierRule> identifiers;
  std::map<std::string, ValueMap, std::less<>> value_maps;
};

/** AdapterMappings: one adapter's rules and the overrides of particular senders (by ODS). */
struct AdapterMappings {
  Rules base;
  std::map<std::string, Rules, std::less<>> overrides;  // key: sender ODS code (upper case)
  std::vector<std::string> files;
};

/** CodeTable: the rows of one terminology CSV file (for the README and check-config counts). */
struct CodeTable {
  std::string name;  // file stem, e.g. "read-v2-to-snomed"
  std::string file;
  std::vector<std::string> sources;  // the "# source:" lines
  std::size_t rows = 0;
};

/**
 * MappingSet: every adapter's rules and every terminology table, validated. Built by the loader
 * (loader.hpp). Thread safety: immutable after building; lookups are const and lock-free.
 */
class MappingSet {
public:
  /**
   * map_value: the value map `map` of `adapter` applied to `native_code` from `sender`. A
   * sender's override is tried first; codes it does not list fall back to the adapter's map
   * (unless the override reads another source system). An unknown map or code returns the
   * native coding as it came (system: the map's source system, or `native_system`), unmapped.
   */
  [[nodiscard]] Mapped map_value(Adapter adapter, std::string_view sender, std::string_view map,
                                 std::string_view native_code, std::string_view native_display,
                                 std::string_view native_system = {}) const;

  /**
   * map_code: a code table lookup: `native` (system URI or alias, code, display) to
   * `target_system` (URI or alias). Unmapped: `native` unchanged (system as given).
   */
  [[nodiscard]] Mapped map_code(const Coding& native, std::string_view target_system) const;

  /**
   * identifier_rules: the identifier rules for `adapter` as seen for `sender`: the sender's
   * override rules replace the adapter's rule of the same id; the others stay.
   */
  [[nodiscard]] std::vector<IdentifierRule> identifier_rules(Adapter adapter,
                                                             std::string_view sender) const;

  /** value_map: the value map as seen for `sender` (override first), or nullptr. */
  [[nodiscard]] const ValueMap* value_map(Adapter adapter, std::string_view sender,
                                          std::string_view map) const;

  [[nodiscard]] const AdapterMappings& adapter(Adapter a) const {
    return adapters_[static_cast<std::size_t>(a)];
  }
  [[nodiscard]] const std::vector<CodeTable>& tables() const { return tables_; }
  [[nodiscard]] const std::string& directory() const { return directory_; }
  /** code_rows: how many code table rows the set holds. */
  [[nodiscard]] std::size_t code_rows() const { return codes_.size(); }
  /** value_map_count: value maps over all adapters and overrides. */
  [[nodiscard]] std::size_t value_map_count() const;

private:
  friend class SetBuilder;
  using CodeKey = std::tuple<std::string, std::string, std::string>;  // from URI, code, to URI
  std::array<AdapterMappings, kAdapterCount> adapters_;
  std::map<CodeKey, Coding, std::less<>> codes_;  // looked up by string views too
  std::vector<CodeTable> tables_;
  std::string directory_;
};

}  // namespace gw::mapping
