// Unit tests for gateway/fhir/stu3_to_r4.hpp: the STU3 -> R4 conversion run on every STU3 JSON
// sample published by GP Connect and EMIS (../shared/reference/gpconnect-structured/ and
// emis-gpconnect-and-gp2gp/, origins in shared/reference/SOURCES-nhs-samples.md), and on small
// STU3 inputs written here for each conversion rule.
#include "gateway/fhir/stu3_to_r4.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/fhir/convert/convert.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::fhir {
namespace {

/** patient_data: NHS numbers, family and given names and birth dates found anywhere in `v`. */
void collect_patient_data(const rapidjson::Value& v, std::vector<std::string>& out) {
  if (v.IsObject()) {
    auto system = v.FindMember("system");
    auto value = v.FindMember("value");
    if (system != v.MemberEnd() && value != v.MemberEnd() && system->value.IsString() &&
        value->value.IsString() &&
        std::string(system->value.GetString()) == "https://fhir.nhs.uk/Id/nhs-number") {
      out.emplace_back(value->value.GetString());
    }
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      const std::string key = m->name.GetString();
      if ((key == "family" || key == "birthDate") && m->value.IsString()) {
        out.emplace_back(m->value.GetString());
      } else if (key == "given" && m->value.IsArray()) {
        for (const auto& g : m->value.GetArray()) {
          if (g.IsString()) {
            out.emplace_back(g.GetString());
          }
        }
      }
      collect_patient_data(m->value, out);
    }
  } else if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      collect_patient_data(item, out);
    }
  }
}

std::vector<std::string> patient_data(const rapidjson::Value& v) {
  std::vector<std::string> out;
  collect_patient_data(v, out);
  // Very short strings (an initial) would match by accident; they identify nobody alone.
  std::erase_if(out, [](const std::string& s) { return s.size() < 3; });
  return out;
}

using Value = rapidjson::Value;

constexpr std::string_view kCross = "http://hl7.org/fhir/3.0/StructureDefinition/extension-";
constexpr std::string_view kUkCore =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-";

// ---------------------------------------------------------------------------------------------
// Helpers

std::string reference_dir() { return std::string(CAREGW_SOURCE_DIR) + "/../shared/reference/"; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Json parse_or_fail(std::string_view text) {
  auto r = parse_json(text);
  if (!r) {
    ADD_FAILURE() << "not JSON: " << r.error().detail;
    return Json{};
  }
  return std::move(*r);
}

/** convert: parses and converts, failing the test (with an empty result) on any error. */
Converted convert(std::string_view stu3_json) {
  Json in = parse_or_fail(stu3_json);
  auto r = stu3_to_r4(in);
  if (!r) {
    ADD_FAILURE() << "conversion refused: " << r.error().detail;
    return Converted{};
  }
  return std::move(*r);
}

std::string sample_path(std::string_view relative) {
  return reference_dir() + std::string(relative);
}

/** at: the value at a dotted path with indices ("a.b[0].c"), or nullptr. */
const Value* at(const Value& root, std::string_view path) {
  const Value* v = &root;
  while (!path.empty() && v != nullptr) {
    std::size_t dot = path.find('.');
    std::string_view seg = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    std::optional<std::size_t> index;
    if (auto open = seg.find('['); open != std::string_view::npos) {
      index = std::stoul(std::string(seg.substr(open + 1, seg.size() - open - 2)));
      seg = seg.substr(0, open);
    }
    if (!v->IsObject()) {
      return nullptr;
    }
    auto m = v->FindMember(Value(rapidjson::StringRef(seg.data(), seg.size())));
    if (m == v->MemberEnd()) {
      return nullptr;
    }
    v = &m->value;
    if (index) {
      if (!v->IsArray() || *index >= v->Size()) {
        return nullptr;
      }
      v = &(*v)[static_cast<rapidjson::SizeType>(*index)];
    }
  }
  return v;
}

/** str: the string at a path, or a marker that fails comparisons. */
std::string str(const Value& root, std::string_view path) {
  const Value* v = at(root, path);
  if (v == nullptr) {
    return "<missing " + std::string(path) + ">";
  }
  if (!v->IsString()) {
    return "<not a string: " + std::string(path) + ">";
  }
  return {v->GetString(), v->GetStringLength()};
}

/** extension: the first extension of `holder` with this URL, or nullptr. */
const Value* extension(const Value* holder, std::string_view url) {
  if (holder == nullptr) {
    return nullptr;
  }
  const Value* exts = at(*holder, "extension");
  if (exts == nullptr || !exts->IsArray()) {
    return nullptr;
  }
  for (const auto& e : exts->GetArray()) {
    if (str(e, "url") == url) {
      return &e;
    }
  }
  return nullptr;
}

/** resource: a resource in a Bundle (or contained in one of its resources) by type and id. */
const Value* resource(const Value& bundle, std::string_view type, std::string_view id) {
  const Value* entries = at(bundle, "entry");
  if (entries == nullptr) {
    return nullptr;
  }
  for (const auto& e : entries->GetArray()) {
    const Value* r = at(e, "resource");
    if (r == nullptr) {
      continue;
    }
    if (str(*r, "resourceType") == type && str(*r, "id") == id) {
      return r;
    }
    if (const Value* contained = at(*r, "contained")) {
      for (const auto& c : contained->GetArray()) {
        if (str(c, "resourceType") == type && str(c, "id") == id) {
          return &c;
        }
      }
    }
  }
  return nullptr;
}

/** issue: the issue at exactly this path whose message contains `part`, or nullptr. */
const ConversionIssue* issue(const Converted& c, std::string_view path,
                             std::string_view part = "") {
  for (const auto& i : c.issues) {
    if (i.path == path && i.message.find(part) != std::string::npos) {
      return &i;
    }
  }
  return nullptr;
}

std::string dump_issues(const Converted& c) {
  std::string s;
  for (const auto& i : c.issues) {
    s += (i.dropped ? "  D " : "    ") + i.path + ": " + i.message + "\n";
  }
  return s;
}

/** for_each_pair: walks input and output resources side by side, with the converter's paths. */
void for_each_pair(const Value& in, const Value& out, const std::string& container,
                   const std::function<void(const Value&, const Value&, const std::string&)>& fn) {
  if (!in.IsObject() || !out.IsObject() || !in.HasMember("resourceType")) {
    return;
  }
  std::string type = str(in, "resourceType");
  std::string path = container.empty() ? type : container + "." + type;
  fn(in, out, path);
  auto pair_list = [&](const char* key, const std::string& prefix, bool entry) {
    const Value* a = at(in, key);
    const Value* b = at(out, key);
    if (a == nullptr || b == nullptr || !a->IsArray() || !b->IsArray()) {
      return;
    }
    for (rapidjson::SizeType i = 0; i < std::min(a->Size(), b->Size()); ++i) {
      std::string p = path + "." + prefix + "[" + std::to_string(i) + "]";
      const Value& x = (*a)[i];
      const Value& y = (*b)[i];
      if (!entry) {
        for_each_pair(x, y, p, fn);
        continue;
      }
      // A malformed entry may hold the resource itself (see diaryentries_response1.json).
      const Value* rx = at(x, "resource") != nullptr ? at(x, "resource") : &x;
      if (const Value* ry = at(y, "resource")) {
        for_each_pair(*rx, *ry, p + ".resource", fn);
      }
    }
  };
  pair_list("contained", "contained", false);
  pair_list("entry", "entry", true);
  if (type == "Parameters") {
    const Value* a = at(in, "parameter");
    const Value* b = at(out, "parameter");
    if (a != nullptr && b != nullptr) {
      for (rapidjson::SizeType i = 0; i < std::min(a->Size(), b->Size()); ++i) {
        const Value* rx = at((*a)[i], "resource");
        const Value* ry = at((*b)[i], "resource");
        if (rx != nullptr && ry != nullptr) {
          for_each_pair(*rx, *ry, path + ".parameter[" + std::to_string(i) + "].resource", fn);
        }
      }
    }
  }
}

/** for_each_resource: every resource in a (converted) document. */
void for_each_resource(const Value& v, const std::function<void(const Value&)>& fn) {
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      for_each_resource(item, fn);
    }
    return;
  }
  if (!v.IsObject()) {
    return;
  }
  if (v.HasMember("resourceType")) {
    fn(v);
  }
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    for_each_resource(m->value, fn);
  }
}

// STU3 elements that R4 removed or renamed, per STU3 type: where each went ("a|b": either;
// "": nowhere, so an issue must name it). Written from the "Changes since R3" sections of
// http://hl7.org/fhir/R4/<type>.html.
const std::map<std::string, std::vector<std::pair<std::string, std::string>>>& stu3_only() {
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> kTable = {
      {"AllergyIntolerance", {{"assertedDate", "recordedDate"}}},
      {"CarePlan", {{"context", "encounter"}, {"definition", ""}}},
      {"Composition", {{"class", "category"}}},
      {"Condition",
       {{"assertedDate", "recordedDate"}, {"context", "encounter"}, {"abatementBoolean", ""}}},
      {"Consent",
       {{"consentingParty", "performer"},
        {"except", "provision"},
        {"period", "provision"},
        {"actor", "provision"},
        {"action", "provision"},
        {"data", "provision"},
        {"sourceIdentifier", ""}}},
      {"DiagnosticReport",
       {{"codedDiagnosis", "conclusionCode"}, {"context", "encounter"}, {"image", "media"}}},
      {"DocumentReference",
       {{"class", "category"}, {"indexed", "date"}, {"created", "content[0].attachment.creation"}}},
      {"Encounter", {{"incomingReferral", "basedOn"}, {"reason", "reasonCode"}}},
      {"Immunization",
       {{"notGiven", "status"},
        {"date", "occurrenceDateTime"},
        {"practitioner", "performer"},
        {"vaccinationProtocol", "protocolApplied"},
        {"explanation", "reasonCode|statusReason"}}},
      {"Medication",
       {{"isBrand", ""}, {"isOverTheCounter", ""}, {"package", "batch"}, {"image", ""}}},
      {"MedicationRequest", {{"context", "encounter"}, {"definition", ""}}},
      {"MedicationStatement", {{"taken", ""}, {"reasonNotTaken", "statusReason"}}},
      {"MessageHeader", {{"event", "eventCoding"}, {"timestamp", ""}, {"receiver", "destination"}}},
      {"Observation",
       {{"context", "encounter"}, {"related", "hasMember|derivedFrom"}, {"comment", "note"}}},
      {"Patient", {{"animal", ""}}},
      {"Procedure",
       {{"notDone", "status"}, {"notDoneReason", "statusReason"}, {"context", "encounter"}}},
      {"ProcedureRequest", {{"context", "encounter"}, {"definition", ""}}},
      {"ReferralRequest",
       {{"context", "encounter"},
        {"recipient", "performer"},
        {"description", "note"},
        {"specialty", "performerType"},
        {"serviceRequested", "code"},
        {"type", "category"},
        {"groupIdentifier", "requisition"},
        {"definition", ""}}},
      {"Task", {{"context", "encounter"}, {"reason", "reasonCode"}}},
  };
  return kTable;
}

// Top-level element names no R4 resource of the type may carry (STU3-only names).
const std::map<std::string, std::vector<std::string>>& r4_forbidden() {
  static const std::map<std::string, std::vector<std::string>> kTable = {
      {"AllergyIntolerance", {"assertedDate"}},
      {"CarePlan", {"context", "definition"}},
      {"Composition", {"class"}},
      {"Condition", {"assertedDate", "context", "abatementBoolean"}},
      {"Consent",
       {"consentingParty", "except", "period", "actor", "action", "securityLabel", "purpose",
        "dataPeriod", "data", "sourceIdentifier"}},
      {"DiagnosticReport", {"codedDiagnosis", "context", "image"}},
      {"DocumentReference", {"class", "created", "indexed"}},
      {"Encounter", {"incomingReferral", "reason"}},
      {"Flag", {}},
      {"Immunization", {"notGiven", "date", "practitioner", "vaccinationProtocol", "explanation"}},
      {"Medication", {"isBrand", "isOverTheCounter", "package", "image"}},
      {"MedicationRequest", {"context", "definition"}},
      {"MedicationStatement", {"taken", "reasonNotTaken"}},
      {"MessageHeader", {"event", "timestamp", "receiver"}},
      {"Observation", {"context", "related", "comment", "valueAttachment"}},
      {"Patient", {"animal"}},
      {"Procedure", {"notDone", "notDoneReason", "context", "definition"}},
      {"ServiceRequest",
       {"context", "definition", "serviceRequested", "specialty", "recipient", "description",
        "groupIdentifier", "type"}},
      {"Task", {"context", "definitionUri", "definitionReference", "reason"}},
  };
  return kTable;
}

/**
 * check_r4: no STU3-only element, type, reference, extension or code system survives. Failures
 * name the resource; the text scan covers the URLs this converter maps.
 */
void check_r4(const Value& out) {
  for_each_resource(out, [](const Value& r) {
    std::string type = str(r, "resourceType");
    std::string id = str(r, "id");
    EXPECT_NE(type, "ReferralRequest") << id;
    EXPECT_NE(type, "ProcedureRequest") << id;
    EXPECT_EQ(at(r, "meta.profile"), nullptr) << type << "/" << id << " keeps STU3 profiles";
    auto forbidden = r4_forbidden().find(type);
    if (forbidden != r4_forbidden().end()) {
      for (const std::string& name : forbidden->second) {
        EXPECT_EQ(at(r, name), nullptr) << type << "/" << id << " still has STU3 '" << name << "'";
        EXPECT_EQ(at(r, "_" + name), nullptr) << type << "/" << id << " has _" << name;
      }
    }
    for (const char* cc : {"clinicalStatus", "verificationStatus"}) {
      if ((type == "AllergyIntolerance" || type == "Condition") && at(r, cc) != nullptr) {
        EXPECT_TRUE(at(r, cc)->IsObject()) << type << "/" << id << "." << cc << " is no concept";
      }
    }
    for (const char* list : {"category"}) {
      if ((type == "Flag" || type == "DiagnosticReport" || type == "Composition" ||
           type == "MedicationRequest" || type == "ServiceRequest") &&
          at(r, list) != nullptr) {
        EXPECT_TRUE(at(r, list)->IsArray()) << type << "/" << id << "." << list;
      }
    }
    if (type == "Encounter" && at(r, "diagnosis") != nullptr) {
      for (const auto& d : at(r, "diagnosis")->GetArray()) {
        EXPECT_EQ(at(d, "role"), nullptr) << id;
      }
    }
  });
  std::string text = to_json(out);
  for (const char* gone :
       {"\"ReferralRequest/",
        "\"ProcedureRequest/",
        "/ReferralRequest/",
        "/ProcedureRequest/",
        "Extension-CareConnect-GPC-NHSNumberVerificationStatus-1",
        "StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1",
        "Extension-coding-sctdescid",
        "Extension-CareConnect-EthnicCategory-1",
        "MedicationStatementLastIssueDate-1",
        "Extension-CareConnect-GPC-ParentPresent-1",
        "Extension-CareConnect-VaccinationProcedure-1",
        "Extension-CareConnect-GPC-MainLocation-1",
        "MedicationRepeatInformation-1",
        "Extension-CareConnect-GPC-PrescriptionType-1",
        "AllergyIntoleranceEnd-1",
        "Extension-CareConnect-GPC-DateRecorded-1",
        "Extension-CareConnect-GPC-NHSCommunication-1",
        "CodeSystem/CareConnect-NHSNumberVerificationStatus-1",
        "https://fhir.nhs.uk/CareConnect-NHSNumberVerificationStatus-1",
        "CareConnect-SDSJobRoleName-1",
        "CareConnect-ListEmptyReasonCode-1",
        "CareConnect-HumanLanguage-1",
        "\"http://hl7.org/fhir/v3/",
        "\"http://hl7.org/fhir/v2/",
        "\"http://hl7.org/fhir/list-order\"",
        "\"http://hl7.org/fhir/observation-category\""}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << "output still holds " << gone;
  }
}

/**
 * check_reported: every STU3-only element of every input resource is either where R4 keeps it
 * or named by an issue at its path.
 */
void check_reported(const Value& in, const Converted& c) {
  for_each_pair(in, c.resource, "", [&](const Value& a, const Value& b, const std::string& path) {
    auto row = stu3_only().find(str(a, "resourceType"));
    if (row != stu3_only().end()) {
      for (const auto& [name, targets] : row->second) {
        if (at(a, name) == nullptr) {
          continue;
        }
        if (name == "taken" && str(a, "taken") == "y") {
          continue;  // implied by every R4 status but not-taken
        }
        bool placed = false;
        std::stringstream alternatives(targets);
        for (std::string t; std::getline(alternatives, t, '|');) {
          placed = placed || (!t.empty() && at(b, t) != nullptr);
        }
        bool reported = issue(c, path + "." + name) != nullptr;
        EXPECT_TRUE(placed || reported) << path << "." << name << " neither mapped nor reported";
      }
    }
    if (at(a, "meta.profile") != nullptr) {
      EXPECT_NE(issue(c, path + ".meta.profile"), nullptr) << path;
    }
  });
}

/** strings: every string (and number) in a document, except under keys whose values are rewritten.
 */
void strings(const Value& v, std::string_view key, std::multiset<std::string>& out, bool input) {
  if (v.IsString()) {
    static const std::set<std::string_view> kRewritten = {
        "system", "url", "reference", "fullUrl", "display", "code", "resourceType"};
    // Codes R4 expresses as element names (Observation.related.type -> hasMember / derivedFrom).
    static const std::set<std::string_view> kStructural = {"has-member", "derived-from"};
    std::string_view value(v.GetString(), v.GetStringLength());
    if (!input || (kRewritten.count(key) == 0 && kStructural.count(value) == 0)) {
      out.emplace(v.GetString(), v.GetStringLength());
    }
  } else if (v.IsNumber()) {
    out.insert("#" + std::to_string(v.GetDouble()));
  } else if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      strings(item, key, out, input);
    }
  } else if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      strings(m->value, {m->name.GetString(), m->name.GetStringLength()}, out, input);
    }
  }
}

/** check_nothing_lost: every string or number value of the input is still in the output. */
void check_nothing_lost(const Value& in, const Value& out) {
  std::multiset<std::string> before;
  std::multiset<std::string> after;
  strings(in, "", before, true);
  strings(out, "", after, false);
  std::set<std::string> after_set(after.begin(), after.end());
  for (const std::string& s : std::set<std::string>(before.begin(), before.end())) {
    EXPECT_EQ(after_set.count(s), 1U) << "value lost: " << s;
  }
}

std::map<std::string, int> count_types(const Value& bundle, bool stu3) {
  std::map<std::string, int> counts;
  const Value* entries = at(bundle, "entry");
  if (entries == nullptr) {
    return counts;
  }
  for (const auto& e : entries->GetArray()) {
    const Value* r = at(e, "resource") != nullptr ? at(e, "resource") : &e;
    std::string type = str(*r, "resourceType");
    if (stu3 && (type == "ReferralRequest" || type == "ProcedureRequest")) {
      type = "ServiceRequest";
    }
    ++counts[type];
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Every published STU3 JSON sample

/** The STU3 JSON samples: every .json of the two folders (all are STU3 resources). */
std::vector<std::string> sample_files() {
  std::vector<std::string> files;
  for (const char* dir : {"gpconnect-structured", "emis-gpconnect-and-gp2gp"}) {
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(reference_dir() + dir, ec)) {
      if (f.path().extension() == ".json") {
        files.push_back(std::string(dir) + "/" + f.path().filename().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Stu3Sample : public ::testing::TestWithParam<std::string> {};

TEST_P(Stu3Sample, ConvertingInPlaceGivesTheSameResourceAndIssues) {
  std::string text = read_text(sample_path(GetParam()));
  ASSERT_FALSE(text.empty()) << GetParam();
  Json in = parse_or_fail(text);
  auto copied = stu3_to_r4(static_cast<const rapidjson::Value&>(in));
  auto moved = stu3_to_r4(std::move(in));
  ASSERT_TRUE(copied) << copied.error().detail;
  ASSERT_TRUE(moved) << moved.error().detail;
  EXPECT_EQ(to_json(moved->resource), to_json(copied->resource));
  ASSERT_EQ(moved->issues.size(), copied->issues.size());
  for (std::size_t i = 0; i < moved->issues.size(); ++i) {
    EXPECT_EQ(moved->issues[i].path, copied->issues[i].path);
    EXPECT_EQ(moved->issues[i].message, copied->issues[i].message);
    EXPECT_EQ(moved->issues[i].dropped, copied->issues[i].dropped);
  }
}

TEST_P(Stu3Sample, ConvertsWithoutLosingAnything) {
  std::string text = read_text(sample_path(GetParam()));
  ASSERT_FALSE(text.empty()) << GetParam();
  Json in = parse_or_fail(text);
  Json copy;
  copy.CopyFrom(in, copy.GetAllocator());
  auto r = stu3_to_r4(in);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_TRUE(json_equal(in, copy)) << "the input was modified";
  SCOPED_TRACE(dump_issues(*r));
  check_r4(r->resource);
  check_reported(in, *r);
  check_nothing_lost(in, r->resource);
  if (str(in, "resourceType") == "Bundle") {
    EXPECT_EQ(count_types(in, true), count_types(r->resource, false));
    EXPECT_EQ(at(in, "entry")->Size(), at(r->resource, "entry")->Size());
  }
  // No patient data in issue text: the sample's NHS numbers, names and birth dates.
  const std::vector<std::string> phi = patient_data(in);
  for (const auto& i : r->issues) {
    for (const std::string& value : phi) {
      EXPECT_EQ(i.message.find(value), std::string::npos) << i.message;
      EXPECT_EQ(i.path.find(value), std::string::npos) << i.path;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PublishedJson, Stu3Sample, ::testing::ValuesIn(sample_files()),
                         [](const ::testing::TestParamInfo<std::string>& sample) {
                           std::string name = sample.param;
                           std::replace_if(
                               name.begin(), name.end(),
                               [](char ch) {
                                 return std::isalnum(static_cast<unsigned char>(ch)) == 0;
                               },
                               '_');
                           return name;
                         });

TEST(Stu3CodeSystems, KnownSystemsMapUnderEitherSchemeOnlyWhereTheTableSaysHttps) {
  const std::string uk_core =
      "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";
  // An https entry matches with either scheme, or none (convert::same_url).
  for (const char* system :
       {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1",
        "http://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1",
        "fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1",
        "http://fhir.nhs.uk/CareConnect-NHSNumberVerificationStatus-1"}) {
    EXPECT_EQ(convert::r4_code_system(system, "01"), uk_core) << system;
  }
  // An http entry matches only as written.
  EXPECT_EQ(convert::r4_code_system("http://hl7.org/fhir/condition-clinical", "active"),
            "http://terminology.hl7.org/CodeSystem/condition-clinical");
  EXPECT_EQ(convert::r4_code_system("https://hl7.org/fhir/condition-clinical", "active"),
            std::nullopt);
  EXPECT_EQ(convert::r4_code_system("http://snomed.info/sct", "22298006"), std::nullopt);
  EXPECT_EQ(convert::r4_code_system("http://hl7.org/fhir/v2/0203", "NH"),
            "http://terminology.hl7.org/CodeSystem/v2-0203");
}

TEST(Stu3Tables, NameTableFindsEveryNameAndNoOther) {
  // Names sharing length, first, middle and last byte land on one slot: the probe must go on.
  const std::vector<std::pair<std::string_view, int>> entries{
      {"status", 1}, {"stXtus", 2}, {"stYtus", 3}, {"code", 4},
      {"status", 5}, {"", 6},       {"a", 7},      {"valueQuantity", 8}};
  const NameTable<int> table(entries);
  EXPECT_EQ(*table.find("status"), 1);  // the first of a repeated name
  EXPECT_EQ(*table.find("stXtus"), 2);
  EXPECT_EQ(*table.find("stYtus"), 3);
  EXPECT_EQ(*table.find("code"), 4);
  EXPECT_EQ(*table.find(""), 6);
  EXPECT_EQ(*table.find("a"), 7);
  EXPECT_EQ(*table.find("valueQuantity"), 8);
  for (std::string_view absent : {"stZtus", "statu", "statuss", "b", "valueQuantitY", "Code"}) {
    EXPECT_EQ(table.find(absent), nullptr) << absent;
  }
}

TEST(Stu3Tables, TypeInfoAgreesWithTheTypeLists) {
  const convert::TypeInfo* condition = convert::type_info("Condition");
  ASSERT_NE(condition, nullptr);
  EXPECT_TRUE(condition->stu3 && condition->r4);
  EXPECT_EQ(condition->converter, &convert::convert_condition);
  ASSERT_NE(condition->elements, nullptr);
  EXPECT_TRUE(condition->elements->contains("recordedDate"));
  EXPECT_TRUE(condition->elements->contains("onsetDateTime"));  // a choice element, expanded
  EXPECT_FALSE(condition->elements->contains("assertedDate"));  // STU3 only
  const convert::TypeInfo* referral = convert::type_info("ReferralRequest");
  ASSERT_NE(referral, nullptr);
  EXPECT_TRUE(referral->stu3 && !referral->r4 && referral->converter != nullptr);
  const convert::TypeInfo* service = convert::type_info("ServiceRequest");
  ASSERT_NE(service, nullptr);
  EXPECT_TRUE(!service->stu3 && service->r4 && service->elements != nullptr);
  EXPECT_EQ(service->converter, nullptr);  // no STU3 type to convert from
  const convert::TypeInfo* body_site = convert::type_info("BodySite");
  ASSERT_NE(body_site, nullptr);
  EXPECT_TRUE(convert::is_stu3_type("BodySite") && body_site->stu3 && !body_site->r4);
  EXPECT_EQ(convert::type_info("Foo"), nullptr);
  EXPECT_EQ(convert::type_info("condition"), nullptr);
  EXPECT_EQ(convert::r4_elements("Foo"), nullptr);
}

TEST(Stu3ToR4, ExtensionsAreConvertedBeforeTheirCodeSystemsAndReferences) {
  // Written here: the SNOMED CT description extension becomes two, so what follows it moves down
  // the list. Extension issues name the place in the STU3 list, code-system issues the place in
  // the R4 one, and come after every extension issue of the resource.
  Converted p = convert(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "extension":[
      {"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid",
       "extension":[{"url":"descriptionId","valueId":"123"},
                    {"url":"descriptionDisplay","valueString":"d"}]},
      {"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-Unknown-1",
       "valueCodeableConcept":{"coding":[
         {"system":"https://fhir.hl7.org.uk/STU3/CodeSystem/Unknown-1","code":"a"},
         {"system":" http://hl7.org/fhir/v3/ActCode ","code":"AMB"}]}},
      {"url":"http://example.org/ext","valueReference":{"reference":"ReferralRequest/r1"}}]})");
  const auto position = [&](const ConversionIssue* i) { return i - p.issues.data(); };
  const ConversionIssue* unknown =
      issue(p, "Observation.extension[1]", "Extension-Unknown-1: no R4 equivalent known");
  const ConversionIssue* stu3_system = issue(p,
                                             "Observation.extension[2].valueCodeableConcept."
                                             "coding[0].system",
                                             "is an STU3 one with no known R4 successor");
  const ConversionIssue* spaces = issue(
      p, "Observation.extension[2].valueCodeableConcept.coding[1].system", "surrounding white");
  ASSERT_NE(unknown, nullptr) << dump_issues(p);
  ASSERT_NE(stu3_system, nullptr) << dump_issues(p);
  ASSERT_NE(spaces, nullptr) << dump_issues(p);
  EXPECT_LT(position(unknown), position(stu3_system));
  EXPECT_LT(position(stu3_system), position(spaces));
  EXPECT_EQ(str(p.resource, "extension[0].url"),
            "http://hl7.org/fhir/StructureDefinition/coding-sctdescid");
  EXPECT_EQ(str(p.resource, "extension[2].valueCodeableConcept.coding[1].system"),
            "http://terminology.hl7.org/CodeSystem/v3-ActCode");
  EXPECT_EQ(str(p.resource, "extension[3].valueReference.reference"), "ServiceRequest/r1");
}

TEST(Stu3Samples, AllFoundAndAllStu3) {
  // 22 in gpconnect-structured (8 Parameters requests, 12 Bundles, a Patient, a
  // CapabilityStatement) + 2 EMIS Bundles: all STU3 resources, none skipped.
  EXPECT_GE(sample_files().size(), 24U);
}

Converted convert_sample(std::string_view relative, Json& in) {
  in = parse_or_fail(read_text(sample_path(relative)));
  auto r = stu3_to_r4(in);
  if (!r) {
    ADD_FAILURE() << relative << ": " << r.error().detail;
    return Converted{};
  }
  return std::move(*r);
}

TEST(Stu3Samples, AllergyStatusesBecomeConceptsAndEndMovesToClinicalStatus) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/allergies_response1.json", in);
  // The resolved allergy is contained in the "Resolved Allergies" List.
  const Value* a = resource(c.resource, "AllergyIntolerance", "Resolved-1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(str(*a, "clinicalStatus.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical");
  EXPECT_EQ(str(*a, "clinicalStatus.coding[0].code"), "resolved");
  EXPECT_EQ(str(*a, "verificationStatus.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification");
  EXPECT_EQ(str(*a, "verificationStatus.coding[0].code"), "unconfirmed");
  EXPECT_EQ(str(*a, "recordedDate"), "2011-05-07T00:00:00+00:00");
  const Value* end =
      extension(at(*a, "clinicalStatus"), std::string(kUkCore) + "AllergyIntoleranceEnd");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(str(*end, "extension[0].url"), "endDate");
  EXPECT_EQ(str(*end, "extension[0].valueDateTime"), "2018-03-01");
  EXPECT_EQ(extension(a,
                      "https://fhir.nhs.uk/STU3/StructureDefinition/"
                      "Extension-CareConnect-GPC-AllergyIntoleranceEnd-1"),
            nullptr);
  // SNOMED description: id to the core extension, display to UK Core's.
  const Value* coding = at(*a, "reaction[0].manifestation[0].coding[0]");
  ASSERT_NE(coding, nullptr);
  const Value* id = extension(coding, "http://hl7.org/fhir/StructureDefinition/coding-sctdescid");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(str(*id, "valueId"), "2647992016");
  const Value* display = extension(coding, std::string(kUkCore) + "CodingSCTDescDisplay");
  ASSERT_NE(display, nullptr);
  EXPECT_EQ(str(*display, "valueString"), "Emesis");
  // This sample names the parts "DescriptionID" / "DescriptionDisplay": read, and reported.
  EXPECT_NE(issue(c,
                  "Bundle.entry[5].resource.List.contained[0].AllergyIntolerance.reaction[0]."
                  "manifestation[0].coding[0].extension[0]",
                  "regardless of case"),
            nullptr)
      << dump_issues(c);
}

TEST(Stu3Samples, ConditionAssertedDateBecomesRecordedDate) {
  Json in;
  Converted c =
      convert_sample("emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP10.json", in);
  const Value* cond =
      resource(c.resource, "Condition", "F16EAE60-77F0-49F3-A424-C8F57FF02358-PROB");
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(str(*cond, "recordedDate"), "2010-02-06T12:44:53.587+00:00");
  EXPECT_EQ(str(*cond, "clinicalStatus.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/condition-clinical");
  EXPECT_EQ(str(*cond, "clinicalStatus.coding[0].code"), "active");
  EXPECT_EQ(str(*cond, "encounter.reference"), "Encounter/81A3B881-FE23-4346-A7ED-48ED539E9054");
  // CareConnect's problem-list-item is R4's own condition category.
  EXPECT_EQ(str(*cond, "category[0].coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/condition-category");
  // A related ProcedureRequest is now referenced as a ServiceRequest.
  std::string text = to_json(*cond);
  EXPECT_NE(text.find("ServiceRequest/58EF971E-B8F0-46E5-A403-B3432C17FD70"), std::string::npos);
  // GP Connect problem extensions whose UK Core successors are retired stay, reported once each.
  EXPECT_NE(issue(c, "Bundle.entry[21].resource.Condition.extension[1]", "retired"), nullptr)
      << dump_issues(c);
}

TEST(Stu3Samples, MedicationStatementAndRequest) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/meds_response.json", in);
  const Value* ms =
      resource(c.resource, "MedicationStatement", "6bff710a-0bdc-4c9b-b98b-40db0a107edc");
  ASSERT_NE(ms, nullptr);
  EXPECT_EQ(str(*ms, "status"), "completed");
  EXPECT_EQ(at(*ms, "taken"), nullptr);
  const Value* taken = extension(ms, std::string(kCross) + "MedicationStatement.taken");
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(str(*taken, "valueCode"), "unk");
  const Value* issued = extension(ms, std::string(kUkCore) + "MedicationStatementLastIssueDate");
  ASSERT_NE(issued, nullptr);
  EXPECT_EQ(str(*issued, "valueDateTime"), "2016-05-10");
  const ConversionIssue* i = issue(c, "Bundle.entry[5].resource.MedicationStatement.taken");
  ASSERT_NE(i, nullptr) << dump_issues(c);
  EXPECT_TRUE(i->dropped);

  const Value* mr =
      resource(c.resource, "MedicationRequest", "7e68abae-a50a-4dd2-8445-7a2aa9936bee");
  ASSERT_NE(mr, nullptr);
  EXPECT_EQ(str(*mr, "courseOfTherapyType.coding[0].code"), "acute");
  EXPECT_EQ(str(*mr, "courseOfTherapyType.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy");
  EXPECT_EQ(at(*mr, "extension"), nullptr);  // the prescription type was its only extension
}

TEST(Stu3Samples, RepeatInformationSplitsBetweenDispenseRequestAndUkCore) {
  Json in;
  Converted c =
      convert_sample("emis-gpconnect-and-gp2gp/EMISPatientStructurede2eResponsePWTP10.json", in);
  const Value* mr =
      resource(c.resource, "MedicationRequest", "9AB17B41-5694-419B-A482-5482D430FEE6");
  ASSERT_NE(mr, nullptr);
  ASSERT_NE(at(*mr, "dispenseRequest.numberOfRepeatsAllowed"), nullptr);
  EXPECT_EQ(at(*mr, "dispenseRequest.numberOfRepeatsAllowed")->GetInt(), 12);
  const Value* repeat = extension(mr, std::string(kUkCore) + "MedicationRepeatInformation");
  ASSERT_NE(repeat, nullptr);
  EXPECT_EQ(str(*repeat, "extension[0].url"), "numberOfPrescriptionsIssued");
  EXPECT_EQ(at(*repeat, "extension[0].valueUnsignedInt")->GetInt(), 0);
  EXPECT_EQ(str(*mr, "courseOfTherapyType.coding[0].code"), "continuous");
}

TEST(Stu3Samples, NhsNumberVerificationAndCommunication) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/read_patient_response_example.json", in);
  const Value& p = c.resource;
  EXPECT_EQ(str(p, "identifier[0].extension[0].url"),
            std::string(kUkCore) + "NHSNumberVerificationStatus");
  // The sample's system ("https://fhir.nhs.uk/CareConnect-NHSNumberVerificationStatus-1") lacks
  // "/STU3/CodeSystem/"; it is still the CareConnect one.
  EXPECT_EQ(str(p, "identifier[0].extension[0].valueCodeableConcept.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland");
  EXPECT_EQ(str(p, "identifier[0].extension[0].valueCodeableConcept.coding[0].code"), "01");
  EXPECT_EQ(str(p, "communication[0].language.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-HumanLanguage");
  EXPECT_EQ(str(p, "communication[0].language.coding[0].code"), "bn");
  const Value* interpreter =
      extension(&p, "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired");
  ASSERT_NE(interpreter, nullptr);
  EXPECT_FALSE(at(*interpreter, "valueBoolean")->GetBool());
  EXPECT_NE(issue(c, "Patient.extension[0]", "RegistrationDetails-1: no R4 equivalent known"),
            nullptr)
      << dump_issues(c);
}

TEST(Stu3Samples, ImmunizationFields) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/immunizations_response1.json", in);
  const Value* im = resource(c.resource, "Immunization", "eba25af1-5b74-4790-aa5a-2134fd27ad45");
  ASSERT_NE(im, nullptr);
  EXPECT_EQ(str(*im, "status"), "completed");  // notGiven = false
  EXPECT_EQ(str(*im, "occurrenceDateTime"), "2019-06-28");
  EXPECT_EQ(str(*im, "recorded"), "2019-06-28T10:00:00+01:00");  // GP Connect date recorded
  EXPECT_EQ(str(*im, "performer[0].actor.reference"),
            "Practitioner/6c41ebfd-57c3-4162-9d7b-208c171a2fd7");
  EXPECT_EQ(str(*im, "performer[0].function.coding[0].code"), "AP");
  EXPECT_EQ(at(*im, "protocolApplied[0].doseNumberPositiveInt")->GetInt(), 1);
  EXPECT_EQ(at(*im, "protocolApplied[0].seriesDosesPositiveInt")->GetInt(), 3);
  EXPECT_NE(extension(at(*im, "protocolApplied[0]"),
                      std::string(kCross) + "Immunization.vaccinationProtocol.doseStatus"),
            nullptr);
  EXPECT_EQ(str(*im, "reasonCode[0].coding[0].code"), "171279008");
  EXPECT_NE(extension(im, std::string(kUkCore) + "ParentPresent"), nullptr);
  EXPECT_NE(extension(im, std::string(kUkCore) + "VaccinationProcedure"), nullptr);
  // "http://hl7.org/fhir/v3/NullFlavor " (with a trailing space) in the sample.
  EXPECT_EQ(str(*im, "vaccineCode.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/v3-NullFlavor");
  const ConversionIssue* dose =
      issue(c, "Bundle.entry[7].resource.Immunization.vaccinationProtocol[0].doseStatus");
  ASSERT_NE(dose, nullptr) << dump_issues(c);
  EXPECT_TRUE(dose->dropped);
}

TEST(Stu3Samples, ReferralRequestsBecomeServiceRequests) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/referrals_response1.json", in);
  const Value* sr = resource(c.resource, "ServiceRequest",
                             "Consultation1-Topic5-Category-Plan-ReferralRequest-1");
  ASSERT_NE(sr, nullptr);
  EXPECT_EQ(str(*sr, "encounter.reference"), "Encounter/Encounter1");
  EXPECT_EQ(str(*sr, "requester.reference"), "Practitioner/ff266bb2-cddb-4d03-837c-bd64d4bbe4eb");
  EXPECT_EQ(str(*sr, "performer[0].display"), "Dr Dave");
  EXPECT_EQ(str(*sr, "note[0].text"), "Referral due to swollen legs");
  EXPECT_EQ(str(*sr, "status"), "unknown");
  // The List now points at ServiceRequests.
  EXPECT_EQ(
      str(c.resource, "entry[0].resource.entry[0].item.reference").rfind("ServiceRequest/", 0), 0U);
}

TEST(Stu3Samples, MalformedDiaryEntriesAreRepairedAndReported) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/diaryentries_response1.json", in);
  // Entries 6 and 7 of the published sample hold a ProcedureRequest's elements directly.
  EXPECT_NE(issue(c, "Bundle.entry[6]", "not in entry.resource"), nullptr) << dump_issues(c);
  EXPECT_EQ(str(c.resource, "entry[6].resource.resourceType"), "ServiceRequest");
  // And they use "occurrence", which is no STU3 element (occurrenceDateTime / Period are).
  const ConversionIssue* occ = issue(c, "Bundle.entry[6].resource.ProcedureRequest.occurrence");
  ASSERT_NE(occ, nullptr) << dump_issues(c);
  EXPECT_TRUE(occ->dropped);
  EXPECT_NE(extension(at(c.resource, "entry[6].resource"),
                      std::string(kCross) + "ProcedureRequest.occurrence"),
            nullptr);
}

TEST(Stu3Samples, PathologyReport) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/pathology_response1.json", in);
  const Value* report =
      resource(c.resource, "DiagnosticReport", "efae5859-28df-4e7d-be91-6df56d8215e4");
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(str(*report, "basedOn[0].reference"),
            "ServiceRequest/d9df1431-22ac-462a-946a-f195f6c639af");
  EXPECT_EQ(str(*report, "performer[0].reference"),
            "Organization/d6407de7-0e86-45eb-93cb-035094aaa49e");
  const Value* fbc = resource(c.resource, "Observation", "dacb177a-9501-4dcc-8b22-b941791ae0db");
  ASSERT_NE(fbc, nullptr);
  ASSERT_NE(at(*fbc, "hasMember"), nullptr);
  EXPECT_EQ(at(*fbc, "hasMember")->Size(), 18U);
}

TEST(Stu3Samples, DocumentReferenceDates) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/documents_response.json", in);
  const Value* d = resource(c.resource, "DocumentReference", "27863182736");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(str(*d, "date"), "2019-07-02T09:43:41+11:00");                            // was indexed
  EXPECT_EQ(str(*d, "content[0].attachment.creation"), "2019-06-24T09:35:00+11:00");  // was created
  EXPECT_EQ(str(*d, "context.encounter[0].reference"), "Encounter/4");
}

TEST(Stu3Samples, CapabilityStatementIsCopiedAndReported) {
  Json in;
  Converted c =
      convert_sample("gpconnect-structured/get_capability_statement_response_example.json", in);
  EXPECT_NE(issue(c, "CapabilityStatement", "no STU3 -> R4 element mapping"), nullptr)
      << dump_issues(c);
}

TEST(Stu3Samples, RequestParametersConvertUnchanged) {
  Json in;
  Converted c = convert_sample("gpconnect-structured/meds_request.json", in);
  EXPECT_TRUE(json_equal(in, c.resource));
  EXPECT_TRUE(c.issues.empty()) << dump_issues(c);
  // A Parameters carrying a Patient converts the Patient.
  Converted reg = convert_sample("gpconnect-structured/register_patient_request_example.json", in);
  EXPECT_EQ(str(reg.resource, "parameter[0].resource.identifier[0].extension[0].url"),
            std::string(kUkCore) + "NHSNumberVerificationStatus");
}

// ---------------------------------------------------------------------------------------------
// Each rule on a small STU3 input written here.

TEST(Stu3ToR4, MedicationStatementNotTaken) {
  // Written here: a statement that the medicine was not taken, with reasons.
  Converted c = convert(R"({"resourceType":"MedicationStatement","status":"completed","taken":"n",
    "reasonNotTaken":[{"text":"side effects"}],"subject":{"reference":"Patient/1"},
    "context":{"reference":"Encounter/2"},"category":{"coding":[{"system":
    "http://hl7.org/fhir/medication-statement-category","code":"community"}]},
    "medicationCodeableConcept":{"text":"x"}})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "status"), "not-taken");
  EXPECT_EQ(str(r, "statusReason[0].text"), "side effects");
  EXPECT_EQ(str(r, "context.reference"), "Encounter/2");  // R4 MedicationStatement keeps context
  EXPECT_EQ(str(r, "category.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/medication-statement-category");
  const Value* old = extension(&r, std::string(kCross) + "MedicationStatement.status");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(str(*old, "valueCode"), "completed");
  EXPECT_NE(issue(c, "MedicationStatement.status", "'completed' replaced by 'not-taken'"), nullptr)
      << dump_issues(c);
  check_r4(r);
}

TEST(Stu3ToR4, MedicationStatementTakenYesIsImplied) {
  // Written here.
  Converted c = convert(R"({"resourceType":"MedicationStatement","status":"active","taken":"y",
    "subject":{"reference":"Patient/1"},"medicationCodeableConcept":{"text":"x"}})");
  EXPECT_EQ(str(c.resource, "status"), "active");
  EXPECT_EQ(at(c.resource, "taken"), nullptr);
  EXPECT_TRUE(c.issues.empty()) << dump_issues(c);
}

TEST(Stu3ToR4, MedicationRequestRequesterContextCategorySubstitution) {
  // Written here: the STU3 requester backbone, a repeat-dispensing prescription type.
  Converted c = convert(R"({"resourceType":"MedicationRequest","status":"active","intent":"order",
    "category":{"coding":[{"system":"http://hl7.org/fhir/medication-request-category",
    "code":"community"}]},"subject":{"reference":"Patient/1"},"context":{"reference":"Encounter/9"},
    "requester":{"agent":{"reference":"Practitioner/3"},"onBehalfOf":{"reference":"Organization/4"}},
    "definition":[{"reference":"PlanDefinition/5"}],"substitution":{"allowed":false},
    "medicationCodeableConcept":{"text":"x"},"extension":[{"url":
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1",
    "valueCodeableConcept":{"coding":[{"system":
    "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1","code":"repeat-dispensing"}]}}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "category[0].coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/medicationrequest-category");
  EXPECT_EQ(str(r, "encounter.reference"), "Encounter/9");
  EXPECT_EQ(str(r, "requester.reference"), "Practitioner/3");
  const Value* behalf =
      extension(at(r, "requester"), std::string(kCross) + "MedicationRequest.requester.onBehalfOf");
  ASSERT_NE(behalf, nullptr);
  EXPECT_EQ(str(*behalf, "valueReference.reference"), "Organization/4");
  EXPECT_FALSE(at(r, "substitution.allowedBoolean")->GetBool());
  EXPECT_NE(extension(&r, std::string(kCross) + "MedicationRequest.definition"), nullptr);
  EXPECT_EQ(str(r, "courseOfTherapyType.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-MedicationRequestCourseOfTherapy");
  EXPECT_EQ(str(r, "courseOfTherapyType.coding[0].code"), "continuous-repeat-dispensing");
  EXPECT_NE(issue(c, "MedicationRequest.requester.onBehalfOf"), nullptr) << dump_issues(c);
  EXPECT_NE(issue(c, "MedicationRequest.definition"), nullptr);
  check_r4(r);
}

TEST(Stu3ToR4, DelayedPrescribingHasNoCourseOfTherapy) {
  // Written here.
  Converted c = convert(R"({"resourceType":"MedicationRequest","status":"active","intent":"order",
    "subject":{"reference":"Patient/1"},"medicationCodeableConcept":{"text":"x"},"extension":[{"url":
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1",
    "valueCodeableConcept":{"coding":[{"code":"delayed-prescribing"}]}}]})");
  EXPECT_EQ(at(c.resource, "courseOfTherapyType"), nullptr);
  EXPECT_NE(issue(c, "MedicationRequest.extension[0]", "'delayed-prescribing'"), nullptr)
      << dump_issues(c);
}

TEST(Stu3ToR4, AllergyEnteredInErrorEncounterAndUnknownCode) {
  // Written here: an invalid clinicalStatus code, and the core associatedEncounter extension.
  Converted c = convert(R"({"resourceType":"AllergyIntolerance","clinicalStatus":"dormant",
    "verificationStatus":"entered-in-error","patient":{"reference":"Patient/1"},
    "category":["food"],"assertedDate":"2020-01-02","extension":[{"url":
    "http://hl7.org/fhir/StructureDefinition/encounter-associatedEncounter",
    "valueReference":{"reference":"Encounter/7"}}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "verificationStatus.coding[0].code"), "entered-in-error");
  EXPECT_EQ(str(r, "verificationStatus.coding[0].display"), "Entered in Error");
  EXPECT_EQ(str(r, "encounter.reference"), "Encounter/7");
  EXPECT_EQ(at(r, "clinicalStatus"), nullptr);
  const Value* kept = extension(&r, std::string(kCross) + "AllergyIntolerance.clinicalStatus");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(str(*kept, "valueCode"), "dormant");
  const ConversionIssue* i = issue(c, "AllergyIntolerance.clinicalStatus");
  ASSERT_NE(i, nullptr);
  EXPECT_TRUE(i->dropped);
  EXPECT_EQ(i->message.find("dormant"), std::string::npos);  // input values are not echoed
  EXPECT_EQ(str(r, "category[0]"), "food");
  EXPECT_EQ(str(r, "recordedDate"), "2020-01-02");
}

TEST(Stu3ToR4, ConditionStatusesAbatementStageContext) {
  // Written here: "unknown" verification, abatementBoolean, an EpisodeOfCare context.
  Converted c = convert(R"({"resourceType":"Condition","verificationStatus":"unknown",
    "abatementBoolean":true,"subject":{"reference":"Patient/1"},
    "context":{"reference":"EpisodeOfCare/3"},"stage":{"summary":{"text":"II"}},
    "_assertedDate":{"extension":[{"url":"http://example.org/x","valueString":"y"}]},
    "assertedDate":"2019-01-01"})");
  const Value& r = c.resource;
  EXPECT_EQ(at(r, "verificationStatus"), nullptr);
  EXPECT_NE(issue(c, "Condition.verificationStatus"), nullptr) << dump_issues(c);
  EXPECT_EQ(str(r, "clinicalStatus.coding[0].code"), "resolved");
  EXPECT_NE(issue(c, "Condition.abatementBoolean", "clinicalStatus set to 'resolved'"), nullptr);
  EXPECT_NE(extension(&r, std::string(kCross) + "Condition.abatementBoolean"), nullptr);
  EXPECT_EQ(at(r, "encounter"), nullptr);
  EXPECT_NE(extension(&r, std::string(kCross) + "Condition.context"), nullptr);
  EXPECT_EQ(str(r, "stage[0].summary.text"), "II");
  EXPECT_EQ(str(r, "recordedDate"), "2019-01-01");
  EXPECT_EQ(str(r, "_recordedDate.extension[0].valueString"), "y");
  check_r4(r);
}

TEST(Stu3ToR4, EncounterElementsAndHospitalisationExtensions) {
  // Written here: a CareConnect inpatient encounter.
  Converted c = convert(R"({"resourceType":"Encounter","status":"finished",
    "class":{"system":"http://hl7.org/fhir/v3/ActCode","code":"IMP"},
    "statusHistory":[{"status":"arrived","period":{"start":"2020-01-01"}}],
    "incomingReferral":[{"reference":"ReferralRequest/r1"}],
    "reason":[{"text":"chest pain"}],"appointment":{"reference":"Appointment/a"},
    "diagnosis":[{"condition":{"reference":"Condition/c"},"role":{"coding":[{"system":
    "http://hl7.org/fhir/diagnosis-role","code":"AD"}]},"rank":1}],
    "period":{"start":"2020-01-01","end":"2020-01-03"},
    "hospitalization":{"extension":[{"url":
    "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-AdmissionMethod-1",
    "valueCodeableConcept":{"coding":[{"system":
    "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-AdmissionMethod-1","code":"21"}]}}],
    "dischargeDisposition":{"text":"home"}}})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "class.system"), "http://terminology.hl7.org/CodeSystem/v3-ActCode");
  EXPECT_EQ(str(r, "basedOn[0].reference"), "ServiceRequest/r1");
  EXPECT_EQ(str(r, "reasonCode[0].text"), "chest pain");
  EXPECT_EQ(str(r, "appointment[0].reference"), "Appointment/a");
  EXPECT_EQ(str(r, "diagnosis[0].use.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/diagnosis-role");
  EXPECT_EQ(str(r, "statusHistory[0].status"), "arrived");
  EXPECT_EQ(str(r, "period.end"), "2020-01-03");
  EXPECT_EQ(str(r, "hospitalization.extension[0].url"), std::string(kUkCore) + "AdmissionMethod");
  EXPECT_EQ(str(r, "hospitalization.extension[0].valueCodeableConcept.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland");
  EXPECT_TRUE(c.issues.empty()) << dump_issues(c);
  check_r4(r);
}

TEST(Stu3ToR4, ObservationRelatedCommentInterpretation) {
  // Written here.
  Converted c = convert(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "context":{"reference":"Encounter/e"},"comment":"taken after exercise",
    "interpretation":{"coding":[{"system":"http://hl7.org/fhir/v2/0078","code":"H"}]},
    "related":[{"type":"has-member","target":{"reference":"Observation/m"}},
               {"type":"derived-from","target":{"reference":"Observation/d"}},
               {"type":"replaces","target":{"reference":"Observation/old"}}],
    "component":[{"code":{"text":"c"},"valueAttachment":{"title":"trace"}}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "encounter.reference"), "Encounter/e");
  EXPECT_EQ(str(r, "note[0].text"), "taken after exercise");
  EXPECT_EQ(str(r, "interpretation[0].coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation");
  EXPECT_EQ(str(r, "hasMember[0].reference"), "Observation/m");
  EXPECT_EQ(str(r, "derivedFrom[0].reference"), "Observation/d");
  EXPECT_NE(issue(c, "Observation.related[2]", "'replaces'"), nullptr) << dump_issues(c);
  EXPECT_NE(extension(&r, std::string(kCross) + "Observation.related"), nullptr);
  EXPECT_NE(extension(at(r, "component[0]"),
                      std::string(kCross) + "Observation.component.valueAttachment"),
            nullptr);
  check_r4(r);
}

TEST(Stu3ToR4, FlagCategoryBecomesList) {
  // Written here.
  Converted c = convert(R"({"resourceType":"Flag","status":"active","subject":{"reference":
    "Patient/1"},"code":{"text":"risk"},"period":{"start":"2021-01-01"},"category":{"coding":[{
    "system":"http://hl7.org/fhir/flag-category","code":"safety"}]}})");
  EXPECT_EQ(str(c.resource, "category[0].coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/flag-category");
  EXPECT_EQ(str(c.resource, "period.start"), "2021-01-01");
  check_r4(c.resource);
}

TEST(Stu3ToR4, CompositionClassAttesterSections) {
  // Written here: an ITK document composition.
  Converted c = convert(R"({"resourceType":"Composition","status":"final","type":{"text":"d"},
    "class":{"text":"discharge"},"subject":{"reference":"Patient/1"},"date":"2020-01-01",
    "author":[{"reference":"Practitioner/2"}],"title":"Discharge","confidentiality":"N",
    "attester":[{"mode":["legal","professional"],"party":{"reference":"Practitioner/2"}}],
    "relatesTo":[{"code":"replaces","targetReference":{"reference":"Composition/0"}}],
    "section":[{"title":"s","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
    "mode":"snapshot","orderedBy":{"coding":[{"system":"http://hl7.org/fhir/list-order","code":"user"}]}}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "category[0].text"), "discharge");
  EXPECT_EQ(str(r, "confidentiality"), "N");
  ASSERT_EQ(at(r, "attester")->Size(), 2U);
  EXPECT_EQ(str(r, "attester[0].mode"), "legal");
  EXPECT_EQ(str(r, "attester[1].mode"), "professional");
  EXPECT_EQ(str(r, "attester[1].party.reference"), "Practitioner/2");
  EXPECT_EQ(str(r, "relatesTo[0].targetReference.reference"), "Composition/0");
  EXPECT_EQ(str(r, "section[0].text.status"), "generated");
  EXPECT_EQ(str(r, "section[0].orderedBy.coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/list-order");
  check_r4(r);
}

TEST(Stu3ToR4, MessageBundleHeaderAndRenamedTypes) {
  // Written here: an ITK3-style message: header, a referral and a procedure request that share
  // an id, so both become ServiceRequest/1.
  Converted c = convert(R"({"resourceType":"Bundle","type":"message","entry":[
    {"fullUrl":"urn:uuid:h","resource":{"resourceType":"MessageHeader",
      "event":{"system":"https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2","code":"ITK007C"},
      "timestamp":"2020-02-03T04:05:06+00:00","sender":{"reference":"Organization/s"},
      "receiver":{"reference":"Organization/r"},"source":{"endpoint":"MESH01"},
      "focus":{"reference":"ReferralRequest/1"}}},
    {"fullUrl":"http://x.org/fhir/ReferralRequest/1","resource":{"resourceType":"ReferralRequest",
      "id":"1","status":"suspended","intent":"order","subject":{"reference":"Patient/p"},
      "groupIdentifier":{"value":"g"},"type":{"text":"t"},"specialty":{"text":"cardiology"},
      "serviceRequested":[{"text":"a"},{"text":"b"}],"description":"d"},
      "request":{"method":"PUT","url":"ReferralRequest/1"}},
    {"fullUrl":"ProcedureRequest/1","resource":{"resourceType":"ProcedureRequest","id":"1",
      "status":"cancelled","intent":"order","code":{"text":"c"},"subject":{"reference":"Patient/p"},
      "performer":{"reference":"Practitioner/q"}}}]})");
  const Value& b = c.resource;
  EXPECT_EQ(str(b, "timestamp"), "2020-02-03T04:05:06+00:00");
  EXPECT_EQ(str(b, "entry[0].resource.eventCoding.code"), "ITK007C");
  EXPECT_NE(extension(at(b, "entry[0].resource"), std::string(kCross) + "MessageHeader.timestamp"),
            nullptr);
  EXPECT_EQ(str(b, "entry[0].resource.destination[0].receiver.reference"), "Organization/r");
  EXPECT_EQ(str(b, "entry[0].resource.destination[0]._endpoint.extension[0].valueCode"), "unknown");
  EXPECT_EQ(str(b, "entry[0].resource.source.endpoint"), "MESH01");
  EXPECT_EQ(str(b, "entry[0].resource.focus.reference"), "ServiceRequest/1");
  EXPECT_NE(issue(c, "Bundle.entry[0].resource.MessageHeader.timestamp"), nullptr)
      << dump_issues(c);
  EXPECT_NE(issue(c, "Bundle.entry[0].resource.MessageHeader.receiver"), nullptr);
  // The ITK event code system has no R4 successor: kept and reported.
  EXPECT_NE(
      issue(c, "Bundle.entry[0].resource.MessageHeader.eventCoding.system", "ITK-MessageEvent-2"),
      nullptr);

  const Value& ref = *at(b, "entry[1].resource");
  EXPECT_EQ(str(b, "entry[1].fullUrl"), "http://x.org/fhir/ServiceRequest/1");
  EXPECT_EQ(str(b, "entry[1].request.url"), "ServiceRequest/1");
  EXPECT_EQ(str(ref, "resourceType"), "ServiceRequest");
  EXPECT_EQ(str(ref, "status"), "on-hold");
  EXPECT_EQ(str(ref, "requisition.value"), "g");
  EXPECT_EQ(str(ref, "category[0].text"), "t");
  EXPECT_EQ(str(ref, "performerType.text"), "cardiology");
  EXPECT_EQ(str(ref, "code.text"), "a");
  EXPECT_NE(extension(&ref, std::string(kCross) + "ReferralRequest.serviceRequested"), nullptr);
  EXPECT_EQ(str(ref, "note[0].text"), "d");

  const Value& proc = *at(b, "entry[2].resource");
  EXPECT_EQ(str(proc, "status"), "revoked");
  EXPECT_EQ(str(proc, "performer[0].reference"), "Practitioner/q");
  EXPECT_EQ(str(b, "entry[2].fullUrl"), "ServiceRequest/1");
  EXPECT_NE(issue(c, "Bundle.entry[2].resource", "same id"), nullptr) << dump_issues(c);
  check_r4(b);
}

TEST(Stu3ToR4, ImmunizationNotGiven) {
  // Written here.
  Converted c = convert(R"({"resourceType":"Immunization","status":"completed","notGiven":true,
    "vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/1"},"primarySource":true,
    "explanation":{"reasonNotGiven":[{"text":"refused"},{"text":"unwell"}]}})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "status"), "not-done");
  EXPECT_EQ(str(r, "statusReason.text"), "refused");
  EXPECT_NE(extension(&r, std::string(kCross) + "Immunization.explanation.reasonNotGiven"),
            nullptr);
  EXPECT_NE(issue(c, "Immunization.explanation.reasonNotGiven"), nullptr) << dump_issues(c);
  check_r4(r);
}

TEST(Stu3ToR4, PatientCareConnectExtensionsAndAnimal) {
  // Written here: the CareConnect patient extensions as the CareConnect eDischarge samples use
  // them (the ethnic and residential systems there lack "/CodeSystem/").
  Converted c = convert(R"({"resourceType":"Patient","extension":[
    {"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-EthnicCategory-1",
     "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/STU3/CareConnect-EthnicCategory-1","code":"A"}]}},
    {"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ReligiousAffiliation-1",
     "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"80587008"}]}},
    {"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ResidentialStatus-1",
     "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/STU3/CareConnect-ResidentialStatus-1","code":"H"}]}},
    {"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSCommunication-1",
     "extension":[{"url":"language","valueCodeableConcept":{"coding":[{"system":
       "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-HumanLanguage-1","code":"fr"}]}},
      {"url":"preferred","valueBoolean":true},
      {"url":"modeOfCommunication","valueCodeableConcept":{"coding":[{"system":
       "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-LanguageAbilityMode-1","code":"ESP"}]}},
      {"url":"communicationProficiency","valueCodeableConcept":{"coding":[{"system":
       "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-LanguageAbilityProficiency-1","code":"G"}]}},
      {"url":"interpreterRequired","valueBoolean":true}]}],
    "identifier":[{"extension":[{"url":
      "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1",
      "valueCodeableConcept":{"coding":[{"system":
      "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1","code":"02"}]}}],
      "system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],
    "deceasedDateTime":"2020-05-06","_deceasedDateTime":{"extension":[{"url":
      "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DeathNotificationStatus-1",
      "valueCodeableConcept":{"coding":[{"system":
      "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-DeathNotificationStatus-1","code":"2"}]}}]},
    "animal":{"species":{"text":"dog"}}})");
  const Value& p = c.resource;
  const Value* ethnic = extension(&p, std::string(kUkCore) + "EthnicCategory");
  ASSERT_NE(ethnic, nullptr);
  EXPECT_EQ(str(*ethnic, "valueCodeableConcept.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland");
  EXPECT_NE(extension(&p, "http://hl7.org/fhir/StructureDefinition/patient-religion"), nullptr);
  const Value* residential = extension(&p, std::string(kUkCore) + "ResidentialStatus");
  ASSERT_NE(residential, nullptr);
  EXPECT_EQ(str(*residential, "valueCodeableConcept.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-ResidentialStatus");
  EXPECT_EQ(str(p, "identifier[0].extension[0].url"),
            std::string(kUkCore) + "NHSNumberVerificationStatus");
  EXPECT_EQ(str(p, "identifier[0].extension[0].valueCodeableConcept.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland");
  // NHS communication -> Patient.communication with the core proficiency extension.
  EXPECT_EQ(str(p, "communication[0].language.coding[0].code"), "fr");
  EXPECT_TRUE(at(p, "communication[0].preferred")->GetBool());
  const Value* prof = extension(at(p, "communication[0]"),
                                "http://hl7.org/fhir/StructureDefinition/patient-proficiency");
  ASSERT_NE(prof, nullptr);
  EXPECT_EQ(str(*prof, "extension[0].url"), "level");
  EXPECT_EQ(str(*prof, "extension[0].valueCoding.system"),
            "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityProficiency");
  EXPECT_EQ(str(*prof, "extension[1].valueCoding.system"),
            "http://terminology.hl7.org/CodeSystem/v3-LanguageAbilityMode");
  EXPECT_TRUE(
      at(*extension(&p, "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"),
         "valueBoolean")
          ->GetBool());
  // Death notification: UK Core's complex extension on the Patient.
  const Value* death = extension(&p, std::string(kUkCore) + "DeathNotificationStatus");
  ASSERT_NE(death, nullptr);
  EXPECT_EQ(str(*death, "extension[0].url"), "deathNotificationStatus");
  EXPECT_EQ(str(*death, "extension[0].valueCodeableConcept.coding[0].system"),
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus");
  EXPECT_EQ(at(p, "_deceasedDateTime"), nullptr);
  EXPECT_EQ(str(p, "deceasedDateTime"), "2020-05-06");
  // animal -> patient-animal.
  const Value* animal = extension(&p, "http://hl7.org/fhir/StructureDefinition/patient-animal");
  ASSERT_NE(animal, nullptr);
  EXPECT_EQ(str(*animal, "extension[0].url"), "species");
  EXPECT_NE(issue(c, "Patient.animal"), nullptr) << dump_issues(c);
  check_r4(p);
}

TEST(Stu3ToR4, DocumentReferenceWithoutContentKeepsCreated) {
  // Written here.
  Converted c = convert(R"({"resourceType":"DocumentReference","status":"current",
    "type":{"text":"letter"},"class":{"text":"c"},"created":"2020-01-01","indexed":"2020-01-02T00:00:00Z",
    "context":{"encounter":{"reference":"Encounter/1"},"related":[{"identifier":{"value":"x"},
    "ref":{"reference":"Observation/2"}}]}})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "category[0].text"), "c");
  EXPECT_EQ(str(r, "date"), "2020-01-02T00:00:00Z");
  EXPECT_NE(extension(&r, std::string(kCross) + "DocumentReference.created"), nullptr);
  EXPECT_NE(issue(c, "DocumentReference.created"), nullptr) << dump_issues(c);
  EXPECT_EQ(str(r, "context.encounter[0].reference"), "Encounter/1");
  EXPECT_EQ(str(r, "context.related[0].reference"), "Observation/2");
  EXPECT_EQ(str(r, "context.related[0].identifier.value"), "x");
  check_r4(r);
}

TEST(Stu3ToR4, ProcedureNotDone) {
  // Written here.
  Converted c = convert(R"({"resourceType":"Procedure","status":"suspended","notDone":true,
    "notDoneReason":{"text":"declined"},"subject":{"reference":"Patient/1"},
    "context":{"reference":"Encounter/2"},"performer":[{"role":{"text":"surgeon"},
    "actor":{"reference":"Practitioner/3"}}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "status"), "not-done");
  EXPECT_EQ(str(r, "statusReason.text"), "declined");
  EXPECT_EQ(str(r, "encounter.reference"), "Encounter/2");
  EXPECT_EQ(str(r, "performer[0].function.text"), "surgeon");
  check_r4(r);
  // Without notDone, the statuses R4 renamed.
  Converted d = convert(
      R"({"resourceType":"Procedure","status":"aborted","subject":{"reference":"Patient/1"}})");
  EXPECT_EQ(str(d.resource, "status"), "stopped");
}

TEST(Stu3ToR4, DiagnosticReportPerformerAndConclusion) {
  // Written here.
  Converted c = convert(R"({"resourceType":"DiagnosticReport","status":"final","code":{"text":"x"},
    "category":{"coding":[{"system":"http://hl7.org/fhir/v2/0074","code":"HM"}]},
    "context":{"reference":"Encounter/1"},"codedDiagnosis":[{"text":"anaemia"}],
    "image":[{"link":{"reference":"Media/1"}}],
    "performer":[{"role":{"text":"lab"},"actor":{"reference":"Organization/2"}}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "category[0].coding[0].system"),
            "http://terminology.hl7.org/CodeSystem/v2-0074");
  EXPECT_EQ(str(r, "encounter.reference"), "Encounter/1");
  EXPECT_EQ(str(r, "conclusionCode[0].text"), "anaemia");
  EXPECT_EQ(str(r, "media[0].link.reference"), "Media/1");
  EXPECT_EQ(str(r, "performer[0].reference"), "Organization/2");
  EXPECT_NE(
      extension(at(r, "performer[0]"), std::string(kCross) + "DiagnosticReport.performer.role"),
      nullptr);
  EXPECT_NE(issue(c, "DiagnosticReport.performer[0].role"), nullptr) << dump_issues(c);
  check_r4(r);
}

TEST(Stu3ToR4, CarePlanAuthorsAndActivities) {
  // Written here.
  Converted c = convert(R"({"resourceType":"CarePlan","status":"suspended","intent":"plan",
    "subject":{"reference":"Patient/1"},"context":{"reference":"Encounter/2"},
    "author":[{"reference":"Practitioner/a"},{"reference":"Organization/b"}],
    "activity":[{"detail":{"category":{"text":"diet"},"status":"on-hold","statusReason":"waiting",
    "prohibited":false}}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "status"), "on-hold");
  EXPECT_EQ(str(r, "encounter.reference"), "Encounter/2");
  EXPECT_EQ(str(r, "author.reference"), "Practitioner/a");
  EXPECT_EQ(at(r, "contributor")->Size(), 2U);
  EXPECT_EQ(str(r, "activity[0].detail.statusReason.text"), "waiting");
  EXPECT_FALSE(at(r, "activity[0].detail.doNotPerform")->GetBool());
  EXPECT_NE(issue(c, "CarePlan.activity[0].detail.category"), nullptr) << dump_issues(c);
  check_r4(r);
}

TEST(Stu3ToR4, ConsentBecomesProvisions) {
  // Written here: consent to share, with one exception.
  Converted c = convert(R"({"resourceType":"Consent","identifier":{"value":"c1"},"status":"active",
    "patient":{"reference":"Patient/1"},"consentingParty":[{"reference":"Patient/1"}],
    "period":{"start":"2020-01-01"},"actor":[{"role":{"text":"r"},"reference":{"reference":"Organization/o"}}],
    "action":[{"text":"access"}],"policyRule":"http://example.org/policy/share",
    "sourceIdentifier":{"value":"form-7"},
    "except":[{"type":"deny","code":[{"system":"http://snomed.info/sct","code":"123"}],
    "class":[{"code":"Observation"}]}]})");
  const Value& r = c.resource;
  EXPECT_EQ(str(r, "identifier[0].value"), "c1");
  EXPECT_EQ(str(r, "performer[0].reference"), "Patient/1");
  EXPECT_EQ(str(r, "provision.period.start"), "2020-01-01");
  EXPECT_EQ(str(r, "provision.actor[0].reference.reference"), "Organization/o");
  EXPECT_EQ(str(r, "provision.action[0].text"), "access");
  EXPECT_EQ(str(r, "provision.provision[0].type"), "deny");
  EXPECT_EQ(str(r, "provision.provision[0].code[0].coding[0].code"), "123");
  EXPECT_EQ(str(r, "provision.provision[0].class[0].code"), "Observation");
  EXPECT_EQ(str(r, "policy[0].uri"), "http://example.org/policy/share");
  EXPECT_NE(issue(c, "Consent.policyRule"), nullptr) << dump_issues(c);
  EXPECT_NE(issue(c, "Consent.sourceIdentifier"), nullptr);
  EXPECT_NE(issue(c, "Consent.scope", "requires scope"), nullptr);
  check_r4(r);
}

TEST(Stu3ToR4, TaskMedicationLocationHealthcareServiceBinary) {
  // Written here: one input per remaining type.
  Converted task = convert(R"({"resourceType":"Task","status":"requested","intent":"order",
    "definitionUri":"http://example.org/t","context":{"reference":"Encounter/1"},
    "requester":{"agent":{"reference":"Practitioner/2"}},"reason":{"text":"r"}})");
  EXPECT_EQ(str(task.resource, "instantiatesUri"), "http://example.org/t");
  EXPECT_EQ(str(task.resource, "encounter.reference"), "Encounter/1");
  EXPECT_EQ(str(task.resource, "requester.reference"), "Practitioner/2");
  EXPECT_EQ(str(task.resource, "reasonCode.text"), "r");
  check_r4(task.resource);

  Converted med = convert(R"({"resourceType":"Medication","code":{"text":"m"},"isBrand":true,
    "ingredient":[{"itemCodeableConcept":{"text":"i"},"amount":{"numerator":{"value":5}}}],
    "package":{"batch":[{"lotNumber":"L1"},{"lotNumber":"L2"}],"container":{"text":"box"}}})");
  EXPECT_EQ(str(med.resource, "batch.lotNumber"), "L1");
  EXPECT_EQ(at(med.resource, "ingredient[0].strength.numerator.value")->GetInt(), 5);
  EXPECT_NE(extension(&med.resource, std::string(kCross) + "Medication.isBrand"), nullptr);
  EXPECT_NE(issue(med, "Medication.package.batch"), nullptr) << dump_issues(med);
  EXPECT_NE(issue(med, "Medication.package"), nullptr);
  check_r4(med.resource);

  Converted loc = convert(R"({"resourceType":"Location","name":"ward","type":{"text":"w"}})");
  EXPECT_EQ(str(loc.resource, "type[0].text"), "w");

  Converted hcs = convert(R"({"resourceType":"HealthcareService","category":{"text":"c"},
    "eligibility":{"text":"adults"},"eligibilityNote":"over 18","programName":["p1"]})");
  EXPECT_EQ(str(hcs.resource, "category[0].text"), "c");
  EXPECT_EQ(str(hcs.resource, "eligibility[0].code.text"), "adults");
  EXPECT_EQ(str(hcs.resource, "eligibility[0].comment"), "over 18");
  EXPECT_EQ(str(hcs.resource, "program[0].text"), "p1");

  Converted bin =
      convert(R"({"resourceType":"Binary","contentType":"text/plain","content":"aGk="})");
  EXPECT_EQ(str(bin.resource, "data"), "aGk=");

  Converted oo = convert(R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",
    "code":"processing","details":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1","code":"X"}]}}]})");
  EXPECT_EQ(str(oo.resource, "issue[0].code"), "processing");
  EXPECT_NE(
      issue(oo, "OperationOutcome.issue[0].details.coding[0].system", "no known R4 successor"),
      nullptr)
      << dump_issues(oo);
}

TEST(Stu3ToR4, UnknownElementsAndTypesAreReported) {
  // Written here: an element no FHIR version defines, and entries that are not STU3 resources.
  Converted p = convert(R"({"resourceType":"Patient","favouriteColour":"blue"})");
  EXPECT_EQ(at(p.resource, "favouriteColour"), nullptr);
  const ConversionIssue* i = issue(p, "Patient.favouriteColour", "not an element of R4 Patient");
  ASSERT_NE(i, nullptr) << dump_issues(p);
  EXPECT_TRUE(i->dropped);
  EXPECT_NE(extension(&p.resource, std::string(kCross) + "Patient.favouriteColour"), nullptr);

  Converted b = convert(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"resource":{"resourceType":"Foo"}},{"resource":{"resourceType":"ServiceRequest"}},
    {"resource":{"resourceType":"BodySite","code":{"text":"arm"}}},{"resource":{"id":"x"}},
    {"resource":{"resourceType":"Specimen","status":"available"}}]})");
  EXPECT_NE(issue(b, "Bundle.entry[0].resource", "is no STU3 type"), nullptr) << dump_issues(b);
  EXPECT_NE(issue(b, "Bundle.entry[1].resource", "is no STU3 type"), nullptr);
  const ConversionIssue* body =
      issue(b, "Bundle.entry[2].resource.BodySite", "does not exist in R4");
  ASSERT_NE(body, nullptr);
  EXPECT_TRUE(body->dropped);
  EXPECT_NE(issue(b, "Bundle.entry[3].resource", "no resourceType"), nullptr);
  EXPECT_EQ(at(b.resource, "entry")->Size(), 5U);
  EXPECT_EQ(issue(b, "Bundle.entry[4].resource.Specimen"), nullptr);  // mapped: same elements
}

TEST(Stu3ToR4, RefusesWhatIsNoStu3Resource) {
  Json scalar;
  scalar.SetInt(42);
  EXPECT_FALSE(stu3_to_r4(scalar));
  scalar.SetNull();
  EXPECT_FALSE(stu3_to_r4(scalar));
  for (const char* text :
       {R"([{"resourceType":"Patient"}])", R"({"id":"x"})", R"({"resourceType":7})",
        R"({"resourceType":"ServiceRequest","status":"active"})", R"({"resourceType":"Foo"})",
        R"({"resourceType":"DomainResource"})"}) {
    Json in = parse_or_fail(text);
    auto r = stu3_to_r4(in);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::kUnprocessable) << text;
  }
}

TEST(Stu3ToR4, RefusesNestingDeeperThanParsedJsonCanBe) {
  // Built directly (parse_json would refuse it first): 150 nested arrays in a Patient.
  Json d;
  d.SetObject();
  d.AddMember("resourceType", "Patient", d.GetAllocator());
  Value inner(rapidjson::kArrayType);
  for (int i = 0; i < 150; ++i) {
    Value outer(rapidjson::kArrayType);
    outer.PushBack(inner, d.GetAllocator());
    inner = outer;
  }
  d.AddMember("extension", inner, d.GetAllocator());
  auto r = stu3_to_r4(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnprocessable);
}

/** nested_patient: a Patient whose extension holds `levels` - 1 nested arrays (`levels`
 *  containers deep, the Patient being the first). */
std::string nested_patient(int levels) {
  return R"({"resourceType":"Patient","extension":)" + std::string(levels - 1, '[') +
         std::string(levels - 1, ']') + "}";
}

TEST(Stu3ToR4, ADocumentParsedWithinTheBoundConvertsAsAnyOtherDoes) {
  // 100 levels: parse_json's default bound and the converter's; parsed with that bound, the
  // document is not measured again and converts as stu3_to_r4(Json&&) converts it.
  const ParseLimits limits;
  for (const std::string& text :
       {nested_patient(100), std::string(R"({"resourceType":"ReferralRequest","status":"active",
         "subject":{"reference":"Patient/1"},"basedOn":[{"reference":"ReferralRequest/2"}]})")}) {
    auto a = parse_json(text, limits);
    auto b = parse_json(text, limits);
    ASSERT_TRUE(a && b) << text;
    auto known = stu3_to_r4(std::move(*a), limits);
    auto measured = stu3_to_r4(std::move(*b));
    ASSERT_TRUE(known) << known.error().detail;
    ASSERT_TRUE(measured) << measured.error().detail;
    EXPECT_EQ(to_json(known->resource), to_json(measured->resource));
    EXPECT_EQ(known->issues.size(), measured->issues.size());
  }
}

TEST(Stu3ToR4, ADocumentParsedWithALooserBoundIsStillMeasured) {
  // parse_json let 101 levels through (its bound raised to 150): the converter measures and
  // refuses it, as it refuses any document deeper than 100 levels.
  ParseLimits loose;
  loose.max_depth = 150;
  auto deep = parse_json(nested_patient(101), loose);
  ASSERT_TRUE(deep) << deep.error().detail;
  auto r = stu3_to_r4(std::move(*deep), loose);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnprocessable);
  EXPECT_NE(r.error().detail.find("nested deeper than 100"), std::string::npos) << r.error().detail;
  EXPECT_FALSE(parse_json(nested_patient(101)));  // and the default bound refuses it at parsing
  EXPECT_TRUE(parse_json(nested_patient(100)));
}

TEST(Stu3ToR4, OddShapesAreToleratedNotFatal) {
  // Written here: wrong JSON types where STU3 expects others; nothing may crash or throw.
  for (
      const char* text :
      {R"({"resourceType":"MedicationStatement","taken":5,"status":3})",
       R"({"resourceType":"AllergyIntolerance","clinicalStatus":{"coding":[]}})",
       R"({"resourceType":"Immunization","notGiven":"yes","explanation":[],"vaccinationProtocol":{}})",
       R"({"resourceType":"Bundle","entry":[1,"x",null,{"resource":[]}]})",
       R"({"resourceType":"Observation","related":{"type":"has-member"},"component":"x"})",
       R"({"resourceType":"Patient","extension":{"url":"x"},"animal":"cat"})",
       R"({"resourceType":"Composition","attester":[{"mode":"legal"}, 3]})",
       R"({"resourceType":"MessageHeader","receiver":{"reference":"Organization/1"},
               "destination":[{"endpoint":"a"},{"endpoint":"b"}]})",
       R"({"resourceType":"Consent","except":{"type":"deny"},"policyRule":1})",
       R"({"resourceType":"Parameters","parameter":[{"part":[{"resource":{"resourceType":"ReferralRequest"}}]}]})"}) {
    Json in = parse_or_fail(text);
    auto r = stu3_to_r4(in);
    EXPECT_TRUE(r) << text;
  }
}

}  // namespace
}  // namespace gw::fhir
