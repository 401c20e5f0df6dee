// Loads a mappings directory (mappings/<adapter>/*.yaml and mappings/terminology/*.csv) into a
// validated MappingSet, reporting every problem as `file:line: message`. Loading goes on after an
// error so one run of check-config reports everything; a set with any error is not returned.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/config/loader.hpp"
#include "gateway/mapping/mapping_set.hpp"

namespace gw::mapping {

using config::Diagnostic;

/** LoadOptions: cross-checks against the rest of the config. */
struct LoadOptions {
  /** When non-empty, an override's `sender` must be one of these ODS codes (the config's). */
  std::vector<std::string> known_senders;
};

/** LoadResult: the set when there were no errors, and every diagnostic either way. */
struct LoadResult {
  std::shared_ptr<const MappingSet> set;
  std::vector<Diagnostic> errors;
};

/**
 * load_directory: reads and validates every mapping file under `dir`. Checks: YAML syntax,
 * unknown keys, unknown adapter folders, unknown systems, target elements outside the adapter's
 * schema (schema.hpp), duplicate native codes, identifier ids, value maps and table rows, value
 * maps missing a code their source system requires, malformed codes (SNOMED CT Verhoeff check,
 * Read v2 and ICD-10 shapes, closed code lists), terminology files without a `# source:` line or
 * with the wrong header. Never throws. Thread safety: pure (reads files only).
 */
[[nodiscard]] LoadResult load_directory(const std::string& dir, const LoadOptions& opts = {});

/** kCsvHeader: the header line every terminology CSV file has. */
inline constexpr std::string_view kCsvHeader =
    "source_system,source_code,source_display,target_system,target_code,target_display";

}  // namespace gw::mapping
