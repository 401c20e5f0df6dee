// For the config section tests: a minimal valid config (8 lines, so a test's own lines start at
// 9) and the loader's errors looked up by line.
#pragma once

#include <string>
#include <string_view>

#include "gateway/config/loader.hpp"

namespace gw::config::test {

/** kMinimal: data_dir, tls and one listener; lines 1-8 of every config a test loads. */
inline constexpr std::string_view kMinimal =
    "data_dir: /srv/caregw\n"      // 1
    "tls:\n"                       // 2
    "  certificate: server.crt\n"  // 3
    "  private_key: server.key\n"  // 4
    "  client_ca: ca.crt\n"        // 5
    "listeners:\n"                 // 6
    "  - name: provider\n"         // 7
    "    port: 8443\n";            // 8

/** load: kMinimal followed by `rest`, without checking that the files it names exist. */
inline LoadResult load(std::string_view rest) {
  LoadOptions o;
  o.check_files = false;
  return load_text(std::string(kMinimal) + std::string(rest), "test.yaml", "/etc/caregw", o);
}

/** has_error: an error at `line` whose message contains `part`. */
inline bool has_error(const LoadResult& r, int line, std::string_view part) {
  for (const auto& d : r.errors) {
    if (d.line == line && d.message.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace gw::config::test
