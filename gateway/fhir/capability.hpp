// The CapabilityStatement served at GET /fhir/metadata: what this build really serves.
#pragma once

#include <string>
#include <string_view>

namespace gw::fhir {

struct CapabilityInfo {
  std::string_view software_version;
  std::string date;      // FHIR dateTime of the running config's load
  std::string base_url;  // e.g. https://localhost:8443/fhir (from the Host header)
};

/** capability_statement_json: an R4 CapabilityStatement (kind instance) for this gateway. */
[[nodiscard]] std::string capability_statement_json(const CapabilityInfo& info);

}  // namespace gw::fhir
