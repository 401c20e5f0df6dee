// FHIR STU3 (3.0.2) to R4 (4.0.1) conversion for the resources that ITK3, CareConnect and GP
// Connect messages carry, with CareConnect / GP Connect extensions moved to their UK Core R4
// equivalents. Nothing is dropped silently: whatever cannot be mapped is listed as an issue and,
// where it can be, kept as an extension. The element-by-element table is in gateway/fhir/convert/.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/error.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::fhir {

/**
 * ConversionIssue: one thing the conversion could not carry over exactly.
 *
 * `path` names the element, FHIRPath-like, with the (STU3) resource type after each resource
 * boundary: "Bundle.entry[3].resource.MedicationStatement.taken". Element-mapping issues use the
 * STU3 element names; issues from the passes that run after it (extensions, code systems) follow
 * the R4 element names ("...MessageHeader.eventCoding.system"). `message` says what
 * happened to it; it holds element names, codes from FHIR value sets and URLs, never values that
 * could identify a patient. `dropped` is true when the STU3 value is no longer carried by a
 * standard R4 element: it was then kept in an extension (the message names the URL) or, when
 * even that was impossible, lost (the message says so). `dropped` is false when the value was
 * mapped and the issue only records a caveat.
 */
struct ConversionIssue {
  std::string path;
  std::string message;
  bool dropped = false;
};

/** Converted: the R4 resource (a document that owns its memory) and what could not be mapped. */
struct Converted {
  Json resource;
  std::vector<ConversionIssue> issues;
};

/**
 * stu3_to_r4: converts one STU3 resource to R4. A Bundle converts every entry (and a Parameters
 * every parameter resource, a DomainResource every contained resource); references to the
 * renamed types (ReferralRequest, ProcedureRequest -> ServiceRequest) are rewritten throughout.
 * Resource types without an element mapping are copied with their code systems, extensions and
 * references converted, and reported.
 *
 * @param stu3 the STU3 resource, e.g. from parse_json(). It is not modified.
 * @return the R4 resource and its issues; an Error (kUnprocessable) only when the input is not an
 *         STU3 resource at all: not a JSON object, no string resourceType, a resourceType that STU3
 *         does not define, or nesting deeper than FHIR JSON from parse_json() can be.
 * Thread safety: pure; safe to call concurrently on different inputs. Never throws on bad input.
 */
[[nodiscard]] Result<Converted> stu3_to_r4(const rapidjson::Value& stu3);

/**
 * stu3_to_r4: the same conversion of a document the caller no longer needs, done in place (no
 * copy of the input); the result is what stu3_to_r4(const Value&) gives for the same input.
 */
[[nodiscard]] Result<Converted> stu3_to_r4(Json&& stu3);

/**
 * stu3_to_r4: the in-place conversion of a document as parse_json(text, parsed_with) returned it
 * (unchanged since): parse_json refused anything nested deeper than parsed_with.max_depth, so
 * when that is within the converter's own bound (100 levels) the document is not walked again to
 * measure its depth. The result is what stu3_to_r4(Json&&) gives.
 */
[[nodiscard]] Result<Converted> stu3_to_r4(Json&& stu3, const ParseLimits& parsed_with);

}  // namespace gw::fhir
