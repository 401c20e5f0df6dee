// The conformance suite runner: every folder under the cases directory that holds a case.yaml is
// one case (input -> expected output or expected error). See conformance/README.md.
#pragma once

#include <string>
#include <vector>

namespace gw::conformance {

struct CaseResult {
  std::string name;  // the case folder relative to the cases directory, e.g. "fhir/patient-xml"
  bool passed = false;
  std::string detail;  // why it failed (with a readable difference), or empty
};

struct RunOptions {
  /** Rewrite the expected files from the actual output (GW_UPDATE_GOLDEN=1); review the diff. */
  bool update_golden = false;
  /** Only cases whose name contains this text. */
  std::string filter;
};

/** run_cases: runs every case under `dir` in name order. Never throws. */
[[nodiscard]] std::vector<CaseResult> run_cases(const std::string& dir, const RunOptions& opts);

}  // namespace gw::conformance
