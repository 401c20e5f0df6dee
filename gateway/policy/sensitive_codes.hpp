// Sensitive code lists (mappings/terminology/sensitive/*.csv) and the classifier that turns a
// resource's codes into sensitivity classes (legal exclusions). Loading reads text handed in;
// classifying is pure and thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/config/loader.hpp"
#include "gateway/policy/vocabulary.hpp"

namespace gw::policy {

/** Coding: a code and its system, as found in a FHIR Coding. */
struct Coding {
  std::string_view system;
  std::string_view code;
};

/** NamedText: a file's name (for diagnostics) and its text. */
struct NamedText {
  std::string name;
  std::string text;
};

/**
 * SensitiveCodeClassifier: which sensitivity classes a set of codes falls in. Each list file
 * gives one class and one code system; rows match a code exactly or, with match=prefix, any
 * code starting with it (ICD-10 "B20" covers "B20.0").
 */
class SensitiveCodeClassifier {
public:
  /**
   * load: parses list files. Format: comment lines "# class: NAME", "# system: URI",
   * "# source: TEXT" (all three required), then the header "code,match,display" and rows.
   * Every problem is reported as file:line in `errors`; rows with problems are skipped.
   */
  [[nodiscard]] static SensitiveCodeClassifier load(std::span<const NamedText> files,
                                                    std::vector<config::Diagnostic>& errors);

  /** classify: the union of the classes of `codes`. */
  [[nodiscard]] SensitivitySet classify(std::span<const Coding> codes) const;
  /** classify: one code. */
  [[nodiscard]] SensitivitySet classify(std::string_view system, std::string_view code) const;
  /** size: how many rows were loaded. */
  [[nodiscard]] std::size_t size() const { return rows_; }

private:
  struct Prefix {
    std::string system;
    std::string prefix;
    SensitivitySet classes = 0;
  };
  std::unordered_map<std::string, SensitivitySet> exact_;  // key: system + '|' + code
  std::vector<Prefix> prefixes_;
  std::size_t rows_ = 0;
};

}  // namespace gw::policy
