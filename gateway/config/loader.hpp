// Reads a YAML config file into a Config, reporting every problem as `file:line: message`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/config/config.hpp"

namespace gw::config {

/** Diagnostic: one problem in a config file. */
struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem is not tied to a line
  std::string message;

  /** str: "file:line: message" (or "file: message" without a line). */
  [[nodiscard]] std::string str() const;
};

struct LoadOptions {
  /** Replaces the file's data_dir (e.g. from --data-dir). Relative to the working directory. */
  std::optional<std::string> data_dir;
  /** Check that TLS files exist (check-config and serve do; unit tests of parsing may not). */
  bool check_files = true;
  /** read_file: reads a data file the config names and the loader checks (the staff directory);
   * nullopt when it cannot. Empty: from disk at FileRef::path (the demo reads its embedded copy).
   */
  std::function<std::optional<std::string>(const FileRef&)> read_file;
};

/** LoadResult: the config when there were no errors, and every diagnostic found either way. */
struct LoadResult {
  ConfigPtr config;
  std::vector<Diagnostic> errors;
};

/** load_file: reads and validates the config at `path`. Never throws. */
[[nodiscard]] LoadResult load_file(const std::string& path, const LoadOptions& opts = {});

/**
 * load_text: validates config text; `name` is used in diagnostics and `base_dir` resolves
 * relative paths (the directory of the file the text came from). Never throws.
 */
[[nodiscard]] LoadResult load_text(std::string_view text, const std::string& name,
                                   const std::string& base_dir, const LoadOptions& opts = {});

}  // namespace gw::config
