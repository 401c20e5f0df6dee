// The FHIR element table that XML <-> JSON conversion needs, for R4 (4.0.1) and STU3 (3.0.2):
// for each resource, datatype and backbone element, its children in definition order, whether
// each repeats, its type and how its value is written in JSON. Data: gateway/fhir/schema/*.inc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gw::fhir {

/** FhirVersion: the FHIR releases the gateway converts. */
enum class FhirVersion : std::uint8_t { kStu3, kR4 };

/** version_name: "STU3" or "R4", for messages. */
[[nodiscard]] std::string_view version_name(FhirVersion version);

/** ElementKind: how an element's value is carried, which decides its JSON form. */
enum class ElementKind : std::uint8_t {
  kString,    // string, code, id, uri, url, canonical, oid, uuid, markdown, base64Binary, date,
              // dateTime, instant, time: a JSON string
  kBoolean,   // boolean: JSON true/false
  kInteger,   // integer, positiveInt, unsignedInt: a JSON number without fraction
  kDecimal,   // decimal: a JSON number
  kComplex,   // a datatype or backbone element: a JSON object
  kResource,  // a whole resource (contained, Bundle.entry.resource, Parameters...resource)
  kXhtml,     // Narrative.div: an XHTML fragment, a JSON string
};

/** is_primitive: true for the kinds carried in an XML `value` attribute (and `_name` in JSON). */
[[nodiscard]] constexpr bool is_primitive(ElementKind kind) {
  return kind == ElementKind::kString || kind == ElementKind::kBoolean ||
         kind == ElementKind::kInteger || kind == ElementKind::kDecimal;
}

/**
 * ElementInfo: one child element of a type or backbone element.
 * A choice element such as `value[x]` appears once per allowed type (valueQuantity,
 * valueString...), each with choice_base "value" and the same `order`.
 */
struct ElementInfo {
  std::string name;         // XML element / JSON property name, e.g. "given", "valueQuantity"
  std::string choice_base;  // "value" for valueQuantity; empty when not a choice
  std::string type_name;    // "string", "HumanName", "Patient.contact" (backbone), "Resource"
  ElementKind kind = ElementKind::kComplex;
  bool repeats = false;       // max cardinality > 1: a JSON array
  bool is_attribute = false;  // Element.id and Extension.url: XML attributes, not elements
  std::uint16_t order = 0;    // position in the parent's definition order
};

/**
 * TypeInfo: a resource, datatype or backbone element (named by its path, e.g. "Bundle.entry")
 * with all its children, inherited ones first, in the order the XML form requires.
 */
struct TypeInfo {
  std::string name;  // "Patient", "HumanName", "Patient.contact"
  std::string base;  // "DomainResource", "Element", "BackboneElement"; empty for the roots
  bool is_resource = false;
  std::vector<ElementInfo> elements;
  std::map<std::string, std::size_t, std::less<>> index;  // name -> position in elements

  /** find: the child called `name` (a JSON/XML name, e.g. "valueQuantity"), or nullptr. */
  [[nodiscard]] const ElementInfo* find(std::string_view name) const;
};

/**
 * find_type: a resource type, datatype or backbone path ("Patient", "Quantity",
 * "Patient.contact", "Questionnaire.item"), or nullptr when the version does not define it.
 * Thread safety: the tables are built once on first use (thread-safe) and are immutable after.
 */
[[nodiscard]] const TypeInfo* find_type(FhirVersion version, std::string_view type_or_path);

/**
 * find_element: the child `json_or_xml_name` of a type or backbone path, e.g.
 * find_element(kR4, "Patient", "birthDate") or find_element(kR4, "Observation", "valueQuantity").
 * For a complex child, its type_name is what to pass as `parent_type_or_path` one level down
 * ("HumanName", or "Patient.contact" for a backbone element).
 * @return nullptr when the parent or the element is unknown in that version.
 */
[[nodiscard]] const ElementInfo* find_element(FhirVersion version,
                                              std::string_view parent_type_or_path,
                                              std::string_view json_or_xml_name);

/** is_resource_type: true when `name` is a concrete resource type in that version. */
[[nodiscard]] bool is_resource_type(FhirVersion version, std::string_view name);

/** resource_types: every resource type the table defines for the version, sorted. */
[[nodiscard]] std::vector<std::string> resource_types(FhirVersion version);

/**
 * schema_problems: what was wrong with the embedded table when it was loaded (unknown type
 * names, duplicate elements, syntax); empty when it is consistent. For tests.
 */
[[nodiscard]] const std::vector<std::string>& schema_problems(FhirVersion version);

}  // namespace gw::fhir
