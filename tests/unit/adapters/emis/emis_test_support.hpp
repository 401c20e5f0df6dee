// Shared helpers for the EMIS adapter tests: reading the reference samples and the synthetic
// example by path, the repository's mappings as a Mapper, and finding resources in a message.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/mapping/loader.hpp"
#include "gateway/mapping/unmapped.hpp"
#include "gateway/translate/translate.hpp"

namespace gw::adapters::emis::test {

/** read_file: the whole file, or "" (the test then fails on its own assertions). */
inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/** reference: a file under ../shared/reference (the public samples; see SOURCES.md). */
inline std::string reference(const std::string& rel) {
  return read_file(std::string(CAREGW_SOURCE_DIR) + "/../shared/reference/" + rel);
}

/** example: examples/emis/extract-synthetic.xml (invented patient, 999 test-range number). */
inline std::string example() {
  return read_file(std::string(CAREGW_SOURCE_DIR) + "/examples/emis/extract-synthetic.xml");
}

/** RepoMappings: the repository's mappings/ loaded once, with a tracker counting misses. */
class RepoMappings {
public:
  RepoMappings() {
    auto r = mapping::load_directory(std::string(CAREGW_SOURCE_DIR) + "/mappings");
    EXPECT_TRUE(r.set) << "mappings/ must load";
    set_ = r.set;
  }
  [[nodiscard]] mapping::Mapper mapper() { return mapping::Mapper(set_, &tracker_); }
  [[nodiscard]] mapping::UnmappedTracker& tracker() { return tracker_; }
  /** options: the same set for gw::translate (as `caregw translate --mappings` passes it). */
  [[nodiscard]] translate::Options options() const { return translate::Options{set_}; }

private:
  std::shared_ptr<const mapping::MappingSet> set_;
  mapping::UnmappedTracker tracker_;
};

/** parsed: every resource of a message as JSON documents. */
inline std::vector<fhir::Json> parsed(const ingest::TranslatedMessage& m) {
  std::vector<fhir::Json> out;
  for (const auto& r : m.resources) {
    auto d = fhir::parse_json(r.json);
    EXPECT_TRUE(d) << r.resource_type << "/" << r.id;
    if (d) {
      out.push_back(std::move(*d));
    }
  }
  return out;
}

/** find: the translated resource of a type and id, or nullptr. */
inline const ingest::TranslatedResource* find(const ingest::TranslatedMessage& m,
                                              std::string_view type, std::string_view id) {
  for (const auto& r : m.resources) {
    if (r.resource_type == type && r.id == id) {
      return &r;
    }
  }
  return nullptr;
}

/** json_of: the resource's JSON parsed (an empty object when absent). */
inline fhir::Json json_of(const ingest::TranslatedResource* r) {
  fhir::Json d(rapidjson::kObjectType);
  if (r != nullptr) {
    if (auto p = fhir::parse_json(r->json)) {
      d = std::move(*p);
    }
  }
  return d;
}

/** count: resources of a type. */
inline std::size_t count(const ingest::TranslatedMessage& m, std::string_view type) {
  std::size_t n = 0;
  for (const auto& r : m.resources) {
    n += r.resource_type == type ? 1 : 0;
  }
  return n;
}

/** ods: an OdsCode known to be valid. */
inline OdsCode ods(std::string_view code) { return *OdsCode::parse(code); }

/** itk_response: a synthetic ITK3 response (ITK008M) to `id`, with one ITK response code. */
inline std::string itk_response(const std::string& id, const std::string& code,
                                const std::string& itk_code) {
  return R"({"resourceType":"Bundle","id":"r1","type":"message","entry":[
    {"fullUrl":"urn:uuid:5a3e1c2b-0d4f-4e6a-8b7c-9d0e1f2a3b4c","resource":{"resourceType":"MessageHeader",
      "id":"5a3e1c2b-0d4f-4e6a-8b7c-9d0e1f2a3b4c",
      "event":{"system":"https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2","code":"ITK008M","display":"ITK Response"},
      "timestamp":"2026-11-26T16:31:00Z","source":{"endpoint":"Z90001"},
      "response":{"identifier":")" +
         id + R"(","code":")" + code + R"(",
        "details":{"reference":"urn:uuid:6b4f2d3c-1e5a-4f7b-9c8d-0e1f2a3b4c5d"}}}},
    {"fullUrl":"urn:uuid:6b4f2d3c-1e5a-4f7b-9c8d-0e1f2a3b4c5d","resource":{"resourceType":"OperationOutcome",
      "id":"6b4f2d3c-1e5a-4f7b-9c8d-0e1f2a3b4c5d","issue":[{"severity":"information","code":"informational",
      "details":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1",
      "code":")" +
         itk_code + R"("}]}}]}}]})";
}

}  // namespace gw::adapters::emis::test
