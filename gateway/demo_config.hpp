// The demo config (examples/demo/caregw.yaml), compiled into the binary for `serve --demo`.
#pragma once

#include <string_view>

namespace gw {

/** demo_config_yaml: the text of examples/demo/caregw.yaml at build time. */
[[nodiscard]] std::string_view demo_config_yaml();

/** demo_patients_json: the text of examples/demo/patients.json (synthetic patients) at build time.
 */
[[nodiscard]] std::string_view demo_patients_json();

/** demo_records_json: the text of examples/demo/records.json (synthetic shared care records, for
 * gateway/record/demo_records.hpp) at build time. */
[[nodiscard]] std::string_view demo_records_json();

}  // namespace gw
