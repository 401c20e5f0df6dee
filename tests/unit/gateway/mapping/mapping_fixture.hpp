// A small valid mappings directory in a temporary folder, for the mapping tests to break one
// line at a time. Line numbers in the tests refer to the texts below.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace gw::mapping::test {

inline constexpr const char* kTable =
    "# source: shared/reference/emis-gpconnect-and-gp2gp (EMIS Read v2 / SNOMED CT pairs)\n"  // 1
    "source_system,source_code,source_display,target_system,target_code,target_display\n"     // 2
    "read-v2,G33..00,Angina pectoris,snomed,194828000,Angina pectoris\n"                      // 3
    "read-v2,H17..00,Allergic rhinitis,snomed,61582004,Allergic rhinitis\n";                  // 4

inline constexpr const char* kAcute =
    "adapter: acute\n"                                // 1
    "value_maps:\n"                                   // 2
    "  sex:\n"                                        // 3
    "    element: PID-8\n"                            // 4
    "    target: Patient.gender\n"                    // 5
    "    from: hl7v2-0001\n"                          // 6
    "    to: fhir-administrative-gender\n"            // 7
    "    codes:\n"                                    // 8
    "      M: { code: male, display: Male }\n"        // 9
    "      F: { code: female, display: Female }\n"    // 10
    "      U: { code: unknown, display: Unknown }\n"  // 11
    "  encounter_class:\n"                            // 12
    "    target: Encounter.class\n"                   // 13
    "    from: hl7v2-0004\n"                          // 14
    "    to: v3-act-code\n"                           // 15
    "    codes:\n"                                    // 16
    "      I: IMP\n"                                  // 17
    "      O: AMB\n"                                  // 18
    "      E: EMER\n";                                // 19

/** MappingDir: a temporary mappings directory holding kTable and kAcute. */
class MappingDir {
public:
  MappingDir() {
    std::filesystem::create_directories(dir_.file("terminology"));
    std::filesystem::create_directories(dir_.file("acute"));
    write("terminology/t.csv", kTable);
    write("acute/a.yaml", kAcute);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(dir_.file(name)).parent_path());
    return dir_.write(name, text);
  }
  [[nodiscard]] std::string path() const {
    return dir_.file("").substr(0, dir_.file("").size() - 1);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return dir_.file(name); }

private:
  gw::test::TempDir dir_;
};

/** replace_line: `text` with its 1-based line `n` replaced by `with` (which may hold "\n"). */
inline std::string replace_line(const std::string& text, int n, const std::string& with) {
  std::size_t start = 0;
  for (int i = 1; i < n; ++i) {
    start = text.find('\n', start) + 1;
  }
  const auto end = text.find('\n', start);
  return text.substr(0, start) + with + text.substr(end);
}

}  // namespace gw::mapping::test
