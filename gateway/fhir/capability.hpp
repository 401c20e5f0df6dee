// The CapabilityStatement served at GET /fhir/metadata: what this build really serves.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/route_table.hpp"

namespace gw::fhir {

struct CapabilityInfo {
  std::string_view software_version;
  std::string date;      // FHIR dateTime of the running config's load
  std::string base_url;  // e.g. https://localhost:8443/fhir (from the Host header)
  std::vector<http::FhirInteraction> interactions;  // from the route table: what is served
  bool xml = false;                                 // whether application/fhir+xml is served
};

/** capability_statement_json: an R4 CapabilityStatement (kind instance) listing exactly the
 *  interactions given; FHIR forbids empty arrays, so absent parts are left out. */
[[nodiscard]] std::string capability_statement_json(const CapabilityInfo& info);

}  // namespace gw::fhir
