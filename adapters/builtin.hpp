// Every adapter and renderer this build has, registered by name for `caregw serve` and the
// tests: FHIR R4 messaging (built in), HL7 v2, ITK 2.2, ITK3, GP Connect, EMIS XML.
#pragma once

#include "gateway/core/clock.hpp"
#include "gateway/ingest/adapter_set.hpp"

namespace gw::adapters {

/**
 * add_builtin: adds the inbound adapters ("fhir-r4", "hl7v2", "itk", "itk3", "gpconnect",
 * "emis-xml") and the renderers ("fhir-r4", "hl7v2", "gp-connect-send-document") to `set`.
 * `clock` (for acknowledgement times and the ITK freshness window) must outlive the set.
 */
void add_builtin(ingest::AdapterSet& set, const Clock& clock);

}  // namespace gw::adapters
