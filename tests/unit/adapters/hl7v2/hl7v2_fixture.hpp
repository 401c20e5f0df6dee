// Shared by the HL7 v2 adapter tests: the public ITK samples (read by path from
// ../shared/reference/itk-hl7v2-adt-uk/), synthetic NHS numbers computed with the Modulus 11
// check, the shipped mappings and a sender.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/pointer.h>

#include "gateway/core/ids.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/mapping/loader.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::adapters::hl7v2::test {

/** sample_path: a file of the public ITK HL7 v2.4 ADT examples. */
inline std::string sample_path(const std::string& name) {
  return std::string(CAREGW_SOURCE_DIR) + "/../shared/reference/itk-hl7v2-adt-uk/" + name;
}

/** synthetic_nhs: a valid 999-range test NHS number: the first nine digits from 999 + `n`,
 * the tenth computed (skipping prefixes with no valid check digit). */
inline std::string synthetic_nhs(int n) {
  for (int k = n;; ++k) {
    char nine[16];
    std::snprintf(nine, sizeof nine, "999%06d", k);
    const int check = NhsNumber::check_digit(nine);
    if (check >= 0) {
      return std::string(nine) + static_cast<char>('0' + check);
    }
  }
}

/** kPublishedNhs: the NHS number the published ITK samples carry: ten 3s, which the NHS number
 *  check refuses (ten identical digits). */
inline const std::string kPublishedNhs(10, '3');

/** read_sample: a sample's text with its NHS number (kPublishedNhs) replaced by a synthetic one;
 * `keep_number` leaves it as published. */
inline std::string read_sample(const std::string& name, bool keep_number = false) {
  std::ifstream f(sample_path(name), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  if (!keep_number) {
    const std::string nhs = synthetic_nhs(1);
    for (auto p = text.find(kPublishedNhs); p != std::string::npos; p = text.find(kPublishedNhs)) {
      text.replace(p, 10, nhs);
    }
  }
  return text;
}

/** shipped_mappings: mappings/ as the repository ships it (loaded once). */
inline std::shared_ptr<const mapping::MappingSet> shipped_mappings() {
  static const auto set = [] {
    auto r = mapping::load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings",
                                     {{"Z90001", "Z9A01", "Z9M01", "Z9S01", "Z9L01"}});
    return r.set;
  }();
  return set;
}

/** segment: one segment from (field number, value) pairs in increasing order, CR-terminated. */
inline std::string segment(const std::string& id,
                           const std::vector<std::pair<int, std::string>>& fields) {
  std::string out = id;
  int at = 0;
  for (const auto& [n, v] : fields) {
    out.append(static_cast<std::size_t>(n - at), '|');
    out += v;
    at = n;
  }
  return out + "\r";
}

inline OdsCode ods(const char* code) { return *OdsCode::parse(code); }

/** resource: the parsed JSON of the first translated resource of a type (fails if none). */
inline fhir::Json resource(const ingest::TranslatedMessage& t, const std::string& type) {
  for (const auto& r : t.resources) {
    if (r.resource_type == type && !r.deleted) {
      auto doc = fhir::parse_json(r.json);
      EXPECT_TRUE(doc) << type;
      return doc ? std::move(*doc) : fhir::Json{};
    }
  }
  ADD_FAILURE() << "no " << type;
  return fhir::Json{};
}

/** str: a string member by JSON pointer ("/name/0/family"), or "" if absent. */
inline std::string str(const fhir::Json& doc, const char* pointer) {
  const auto* v = rapidjson::Pointer(pointer).Get(doc);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : std::string{};
}

}  // namespace gw::adapters::hl7v2::test
