// FHIR XML <-> FHIR JSON for R4 and STU3 (http://hl7.org/fhir/R4/xml.html, json.html), driven by
// the element table in schema.hpp. XML is parsed by libxml2 with no DTDs, no entity expansion and
// no network, and with size and depth bounds, so hostile input is refused cheaply.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "gateway/core/error.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/schema.hpp"

namespace gw::fhir {

/** XmlLimits: bounds that keep hostile XML cheap to refuse. */
struct XmlLimits {
  std::size_t max_bytes =
      std::size_t{64} * 1024 * 1024;  // the whole document (as ParseLimits for JSON)
  std::size_t max_depth = 100;        // element nesting, XHTML narrative included
  // One `value` attribute (FHIR: "strings SHALL NOT exceed 1MB"); base64Binary values are
  // bounded only by max_bytes, as attachments are legitimately large.
  std::size_t max_value_bytes = std::size_t{1024} * 1024;
};

/**
 * xml_to_json: converts one FHIR XML resource (root element in http://hl7.org/fhir) to FHIR
 * JSON: `value` attributes become JSON strings, booleans or numbers by element type; ids and
 * extensions of primitives go to `_name` (arrays aligned with nulls when the element repeats);
 * repeating elements become arrays in document order; contained and nested resources get
 * `resourceType`; Narrative.div becomes its XHTML as a string; comments are dropped.
 * Refuses (kBadRequest) a DOCTYPE (so no entity can be declared or expanded), malformed XML,
 * invalid UTF-8 or a non-UTF-8 encoding, input over limits.max_bytes, nesting over
 * limits.max_depth, unknown elements or attributes, a non-repeating element given twice,
 * two variants of one choice element, and values of the wrong lexical form. Error details name
 * the element path and line (e.g. "unknown element 'foo' in Patient.name[0] at line 12") but
 * never a value. Never throws on any input.
 * Thread safety: safe to call concurrently (libxml2 is initialised once, and each call has its
 * own parser context and error handler).
 */
[[nodiscard]] Result<Json> xml_to_json(std::string_view xml, FhirVersion version,
                                       const XmlLimits& limits = {});

/** XmlWriteOptions: how json_to_xml lays out its output. */
struct XmlWriteOptions {
  bool pretty = true;           // one element per line, two-space indent (div kept on one line)
  std::size_t max_depth = 100;  // JSON nesting bound, as for parsing
};

/**
 * json_to_xml: writes one FHIR JSON resource (an object with `resourceType`) as FHIR XML, in
 * the element order of the definitions, with the XHTML of Narrative.div re-parsed (with the same
 * safe settings) and written as XML. Decimals are written in the shortest form that reads back
 * to the same double (RapidJSON holds them as doubles, so "1.50" arrives as 1.5).
 * Refuses (kBadRequest) unknown properties, a missing or unknown resourceType, arrays where the
 * element does not repeat (and the reverse), values of the wrong JSON type, misaligned `_name`
 * arrays, control characters XML cannot carry, and a div that is not well-formed XHTML.
 * Never throws. Thread safety: as xml_to_json.
 */
[[nodiscard]] Result<std::string> json_to_xml(const rapidjson::Value& resource, FhirVersion version,
                                              const XmlWriteOptions& options = {});

}  // namespace gw::fhir
