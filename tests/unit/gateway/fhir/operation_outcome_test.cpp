// Unit tests for gateway/fhir/operation_outcome.hpp and capability.hpp: the FHIR R4 JSON the
// gateway writes, checked by parsing it back (http://hl7.org/fhir/R4/operationoutcome.html,
// http://hl7.org/fhir/R4/capabilitystatement.html).
#include "gateway/fhir/operation_outcome.hpp"

#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "gateway/fhir/capability.hpp"

namespace gw::fhir {
namespace {

using ::testing::HasSubstr;

/** parse: the document, failing the test with RapidJSON's message if the text is not JSON. */
rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  EXPECT_FALSE(d.HasParseError()) << rapidjson::GetParseError_En(d.GetParseError()) << " at "
                                  << d.GetErrorOffset() << " in " << json;
  return d;
}

/** at: member `key` of an object, or a null value (and a test failure) if there is none. */
const rapidjson::Value& at(const rapidjson::Value& v, const char* key) {
  static const rapidjson::Value kNull;
  if (!v.IsObject() || !v.HasMember(key)) {
    ADD_FAILURE() << "no member '" << key << "'";
    return kNull;
  }
  return v[key];
}

/** text: a string value, or a marker that fails any comparison if `v` is not a string. */
std::string_view text(const rapidjson::Value& v) {
  if (!v.IsString()) {
    return "<not a string>";
  }
  return {v.GetString(), v.GetStringLength()};
}

/** issue0: the first issue of an OperationOutcome, after checking the shape around it. */
const rapidjson::Value& issue0(const rapidjson::Document& d) {
  static const rapidjson::Value kNull;
  if (!d.IsObject() || !d.HasMember("issue") || !d["issue"].IsArray() || d["issue"].Empty()) {
    ADD_FAILURE() << "no issue array";
    return kNull;
  }
  EXPECT_EQ(d["issue"].Size(), 1U);
  return d["issue"][0];
}

TEST(OperationOutcome, ShapeAndFields) {
  Error e = make_error(Errc::kNotFound, "no endpoint serves this path");
  e.stage = "route";
  const auto d = parse(operation_outcome_json(e, "0123abcd"));
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(text(at(d, "resourceType")), "OperationOutcome");
  const auto& issue = issue0(d);
  ASSERT_TRUE(issue.IsObject());
  EXPECT_EQ(text(at(issue, "severity")), "error");
  EXPECT_EQ(text(at(issue, "code")), "not-found");
  ASSERT_TRUE(at(issue, "details").IsObject());
  EXPECT_EQ(text(at(at(issue, "details"), "text")), "no endpoint serves this path");
  const std::string diagnostics(text(at(issue, "diagnostics")));
  EXPECT_THAT(diagnostics, HasSubstr("0123abcd"));
  EXPECT_THAT(diagnostics, HasSubstr("route"));
  EXPECT_EQ(diagnostics, "request 0123abcd; stage route");
}

TEST(OperationOutcome, InternalErrorIsFatal) {
  const auto d = parse(operation_outcome_json(make_error(Errc::kInternal, "oops"), "r1"));
  const auto& issue = issue0(d);
  ASSERT_TRUE(issue.IsObject());
  EXPECT_EQ(text(at(issue, "severity")), "fatal");
  EXPECT_EQ(text(at(issue, "code")), "exception");
}

TEST(OperationOutcome, IssueCodeFollowsTheErrorKind) {
  for (Errc code : {Errc::kUnauthenticated, Errc::kForbidden, Errc::kMethodNotAllowed,
                    Errc::kNotAcceptable, Errc::kPayloadTooLarge, Errc::kUpstreamTimeout}) {
    const auto d = parse(operation_outcome_json(make_error(code, "x"), "r"));
    const auto& issue = issue0(d);
    ASSERT_TRUE(issue.IsObject());
    EXPECT_EQ(text(at(issue, "code")), fhir_issue_code(code)) << errc_name(code);
    EXPECT_EQ(text(at(issue, "severity")), "error") << errc_name(code);
  }
}

TEST(OperationOutcome, WithoutStageDiagnosticsNameOnlyTheRequest) {
  const auto d = parse(operation_outcome_json(make_error(Errc::kBadRequest, "x"), "req-9"));
  const auto& issue = issue0(d);
  ASSERT_TRUE(issue.IsObject());
  EXPECT_EQ(text(at(issue, "diagnostics")), "request req-9");
}

TEST(OperationOutcome, SpecialCharactersInTheDetailAreEscaped) {
  const std::string detail =
      "quote \" backslash \\ slash / newline \n tab \t control \x01 brace } bracket ] "
      "unicode \xC3\xA9";
  const std::string json = operation_outcome_json(make_error(Errc::kBadRequest, detail), "r\"1");
  const auto d = parse(json);
  const auto& issue = issue0(d);
  ASSERT_TRUE(issue.IsObject());
  EXPECT_EQ(text(at(at(issue, "details"), "text")), detail);
  EXPECT_EQ(text(at(issue, "diagnostics")), "request r\"1");
  EXPECT_EQ(json.find('\n'), std::string::npos) << "raw newline in " << json;
}

TEST(OperationOutcome, EmbeddedNulIsKept) {
  const std::string detail("a\0b", 3);
  const auto d = parse(operation_outcome_json(make_error(Errc::kBadRequest, detail), "r"));
  const auto& issue = issue0(d);
  ASSERT_TRUE(issue.IsObject());
  EXPECT_EQ(text(at(at(issue, "details"), "text")), detail);
}

// ---------------------------------------------------------------------------------------------
// CapabilityStatement

CapabilityInfo info() {
  return CapabilityInfo{"9.8.7", "2024-05-01T12:00:00Z", "https://gw.example:8443/fhir", {}, false};
}

/** find_empty_array: the JSON path of the first empty array under v, or "" if there is none. */
std::string find_empty_array(const rapidjson::Value& v, const std::string& path) {
  if (v.IsArray()) {
    if (v.Empty()) {
      return path;
    }
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (auto p = find_empty_array(v[i], path + "[" + std::to_string(i) + "]"); !p.empty()) {
        return p;
      }
    }
  } else if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string child = path + "." + std::string(text(it->name));
      if (auto p = find_empty_array(it->value, child); !p.empty()) {
        return p;
      }
    }
  }
  return "";
}

/** find_empty_string: FHIR also forbids empty strings; the path of the first one, or "". */
std::string find_empty_string(const rapidjson::Value& v, const std::string& path) {
  if (v.IsString()) {
    return v.GetStringLength() == 0 ? path : "";
  }
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (auto p = find_empty_string(v[i], path + "[" + std::to_string(i) + "]"); !p.empty()) {
        return p;
      }
    }
  } else if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string child = path + "." + std::string(text(it->name));
      if (auto p = find_empty_string(it->value, child); !p.empty()) {
        return p;
      }
    }
  }
  return "";
}

TEST(CapabilityStatement, ParsesWithRequiredFields) {
  const auto d = parse(capability_statement_json(info()));
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(text(at(d, "resourceType")), "CapabilityStatement");
  EXPECT_EQ(text(at(d, "fhirVersion")), "4.0.1");
  EXPECT_EQ(text(at(d, "kind")), "instance");
  EXPECT_EQ(text(at(d, "status")), "active");
  EXPECT_EQ(text(at(d, "date")), "2024-05-01T12:00:00Z");
  ASSERT_TRUE(at(d, "software").IsObject());
  EXPECT_EQ(text(at(at(d, "software"), "version")), "9.8.7");
  ASSERT_TRUE(at(d, "implementation").IsObject());
  EXPECT_EQ(text(at(at(d, "implementation"), "url")), "https://gw.example:8443/fhir");
  EXPECT_FALSE(
      text(at(at(d, "implementation"), "description")).empty());  // required with implementation
}

TEST(CapabilityStatement, FormatAndRest) {
  const auto d = parse(capability_statement_json(info()));
  ASSERT_TRUE(d.IsObject());
  ASSERT_TRUE(at(d, "format").IsArray());
  ASSERT_EQ(at(d, "format").Size(), 1U);
  EXPECT_EQ(text(at(d, "format")[0]), "application/fhir+json");
  ASSERT_TRUE(at(d, "rest").IsArray());
  ASSERT_EQ(at(d, "rest").Size(), 1U);
  EXPECT_EQ(text(at(at(d, "rest")[0], "mode")), "server");
}

TEST(CapabilityStatement, NoEmptyArraysOrStrings) {
  const auto d = parse(capability_statement_json(info()));
  EXPECT_EQ(find_empty_array(d, "$"), "");
  EXPECT_EQ(find_empty_string(d, "$"), "");
}

TEST(CapabilityStatement, UrlWithSpecialCharactersIsEscaped) {
  CapabilityInfo i = info();
  i.base_url = "https://host\"name\\/fhir";
  const auto d = parse(capability_statement_json(i));
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(text(at(at(d, "implementation"), "url")), i.base_url);
}

}  // namespace
}  // namespace gw::fhir
