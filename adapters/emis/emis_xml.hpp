// The EMIS XML extract (adapters/emis/README.md, "The EMIS XML extract") as typed values, and its
// parser: the extract's own strict reader (xml_reader.hpp: no DTD, no entities but XML's five,
// nothing fetched, bounded size and depth); every error names the element by its XPath
// ("/MedicalRecord/EventList/Event[2]/Code/Scheme") and never a value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/emis/xml_reader.hpp"
#include "gateway/core/error.hpp"

namespace gw::adapters::emis::xml {

/** XmlLimits: bounds that keep hostile extracts cheap to refuse. */
struct XmlLimits {
  std::size_t max_bytes = std::size_t{32} * 1024 * 1024;
  std::size_t max_depth = 32;                           // the format nests at most 6 deep
  std::size_t max_text_bytes = std::size_t{64} * 1024;  // one element's text
};

// The values below are views: of the extract's bytes where they needed no decoding, else of
// the text the reader decoded (Extract::document), and of fixed strings for the closed lists
// (schemes, statuses). They are valid while the Extract and the input it was read from live.

/** Code: a coded value as EMIS sends it, with the scheme turned into a FHIR system URI. */
struct Code {
  std::string_view value;
  std::string_view system;  // http://read.info/readv2, http://snomed.info/sct, ...
  std::string_view term;
  std::string_view map_code;    // EMIS's own SNOMED CT concept for a Read v2 code, if sent
  std::string_view map_system;  // its system
};

struct Person {
  std::string_view ref_id, guid, title, first_names, last_name, role;
};

struct Address {
  std::vector<std::string_view> lines;  // HouseNameFlat, Street, Village
  std::string_view town, county, postcode;
};

struct Registration {
  std::string path;  // "/MedicalRecord/Registration"
  std::string_view guid, nhs_number, nhs_number_status, title, first_names, family_name,
      previous_family_name, date_of_birth, sex;
  Address address;
  std::string_view home_telephone, mobile_telephone, email;
  std::string_view practice_ods, practice_name, registration_date, usual_gp_ref;
};

struct ConsultationElement {
  std::string_view header, entry_guid;
  std::string path;
};

struct Consultation {
  std::string path;
  std::string_view guid, date, type, user_ref, location;
  std::vector<ConsultationElement> elements;
};

struct NumericValue {
  std::string_view value;  // a decimal, checked
  std::string_view units;
};

struct Problem {
  std::string_view status;        // active | past | resolved (lower-cased)
  std::string_view significance;  // major | minor | "" (lower-cased)
  std::string_view end_date;
};

/** Event: one coded entry: an observation, with a value or not, or a problem. */
struct Event {
  std::string path;
  std::string_view guid, date, author_ref, display_term, comment;
  Code code;
  std::optional<NumericValue> numeric;
  std::optional<Problem> problem;
  bool confidential = false;
};

struct Issue {
  std::string path;
  std::string_view guid, date, quantity, units, author_ref;
};

struct Medication {
  std::string path;
  std::string_view guid, date, author_ref, dosage, quantity, units;
  std::string_view prescription_type;  // acute | repeat | repeat-dispensing
  std::string_view status;             // active | past | cancelled
  std::string_view end_date;
  Code drug;
  std::vector<Issue> issues;
  bool confidential = false;
};

struct Allergy {
  std::string path;
  std::string_view guid, date, author_ref, type, status, reaction, severity, comment;
  Code code;
  bool confidential = false;
};

struct Alert {
  std::string path;
  std::string_view guid, date, author_ref, type, text, status, end_date;
  std::optional<Code> code;
};

/** Extract: one EMIS XML extract. Move-only (it keeps the document its values view). */
struct Extract {
  std::string_view extract_id, extract_datetime, extract_type;
  std::vector<Person> people;
  Registration registration;
  std::vector<Consultation> consultations;
  std::vector<Event> events;
  std::vector<Medication> medications;
  std::vector<Allergy> allergies;
  std::vector<Alert> alerts;
  XmlDocument document;  // the text the values view where it needed decoding
};

/**
 * parse_extract: reads and checks one extract. Refuses (kBadRequest) what is not well-formed
 * XML, a DOCTYPE, a non-UTF-8 encoding, input over the limits, and (kUnprocessable) a missing or
 * repeated element, an unknown code scheme or status, an impossible date, a non-numeric value, a
 * repeated GUID or a RefID no Person has; the detail is "<XPath>: <what>". Unknown elements are
 * ignored (extracts carry more than caregw reads). The Extract views `xml`, which must outlive
 * it. Never throws; thread-safe.
 */
[[nodiscard]] Result<Extract> parse_extract(std::string_view xml, const XmlLimits& limits = {});

/** extract_id: ExtractHeader/ExtractID read cheaply (for idempotency); "" when unreadable. */
[[nodiscard]] std::string extract_id(std::string_view xml);

}  // namespace gw::adapters::emis::xml
