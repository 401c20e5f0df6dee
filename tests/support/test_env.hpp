// Where the tests find the generated test certificates, the source tree and the caregw binary.
#pragma once

#include <string>

namespace gw::test {

/** cert_path: a file in the test certificate folder made by certs/make-dev-certs --test-extras. */
[[nodiscard]] std::string cert_path(const std::string& name);
[[nodiscard]] std::string source_path(const std::string& relative);
[[nodiscard]] std::string caregw_binary();

/**
 * config_yaml: a valid config text for the tests: listeners "provider" (client certificate
 * required) and "browser" (optional) on 127.0.0.1 port 0, the test certificates, organisations
 * Z90001 (gp) and Z9A01 (acute). `limits` and `extra_orgs` are YAML fragments inserted as given.
 */
[[nodiscard]] std::string config_yaml(const std::string& limits = "",
                                      const std::string& extra_orgs = "");

}  // namespace gw::test
