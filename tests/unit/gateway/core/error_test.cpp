// Unit tests for gateway/core/error.hpp: the one table from error kind to HTTP status, FHIR issue
// code and metric-label name, and make_error.
#include "gateway/core/error.hpp"

#include <exception>
#include <set>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace gw {
namespace {

/** Expected: one row of the error table, written out by hand from the HTTP and FHIR specs. */
struct Expected {
  Errc code;
  unsigned status;
  std::string_view issue;  // http://hl7.org/fhir/R4/valueset-issue-type.html
  std::string_view name;
};

// Every Errc value, in declaration order. The size check below catches a new value added to the
// enum without a row here.
const std::vector<Expected>& table() {
  static const std::vector<Expected> kRows{
      {Errc::kBadRequest, 400, "invalid", "bad_request"},
      {Errc::kUnauthenticated, 401, "login", "unauthenticated"},
      {Errc::kForbidden, 403, "forbidden", "forbidden"},
      {Errc::kPolicyDenied, 403, "forbidden", "policy_denied"},
      {Errc::kNotFound, 404, "not-found", "not_found"},
      {Errc::kMethodNotAllowed, 405, "not-supported", "method_not_allowed"},
      {Errc::kNotAcceptable, 406, "not-supported", "not_acceptable"},
      {Errc::kPayloadTooLarge, 413, "too-long", "payload_too_large"},
      {Errc::kHeadersTooLarge, 431, "too-long", "headers_too_large"},
      {Errc::kUnsupportedMediaType, 415, "not-supported", "unsupported_media_type"},
      {Errc::kUnprocessable, 422, "processing", "unprocessable"},
      {Errc::kConflict, 409, "conflict", "conflict"},
      {Errc::kTooManyRequests, 429, "throttled", "too_many_requests"},
      {Errc::kUpstreamTimeout, 504, "timeout", "upstream_timeout"},
      {Errc::kUpstreamUnavailable, 502, "transient", "upstream_unavailable"},
      {Errc::kUpstreamMalformed, 502, "transient", "upstream_malformed"},
      {Errc::kMappingFailed, 422, "code-invalid", "mapping_failed"},
      {Errc::kUnavailable, 503, "transient", "unavailable"},
      {Errc::kInternal, 500, "exception", "internal"},
  };
  return kRows;
}

TEST(ErrcTable, CoversEveryEnumerator) {
  // kBadRequest is 1 and kInternal is the last enumerator, so the enum has kInternal values.
  EXPECT_EQ(table().size(), static_cast<std::size_t>(Errc::kInternal));
  for (std::size_t i = 0; i < table().size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(table()[i].code), i + 1) << "row " << i << " out of order";
  }
}

TEST(ErrcTable, HttpStatusForEveryCode) {
  for (const auto& row : table()) {
    EXPECT_EQ(http_status(row.code), row.status) << errc_name(row.code);
  }
}

TEST(ErrcTable, FhirIssueCodeForEveryCode) {
  for (const auto& row : table()) {
    EXPECT_EQ(fhir_issue_code(row.code), row.issue) << errc_name(row.code);
  }
}

TEST(ErrcTable, NameForEveryCode) {
  for (const auto& row : table()) {
    EXPECT_EQ(errc_name(row.code), row.name);
  }
}

TEST(ErrcTable, NamesAreUniqueLowerCaseLabels) {
  std::set<std::string_view> seen;
  for (const auto& row : table()) {
    const std::string_view name = errc_name(row.code);
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << "'" << name << "' is not a metric label";
    }
  }
}

TEST(ErrcTable, EveryStatusIsAnErrorStatus) {
  for (const auto& row : table()) {
    EXPECT_GE(http_status(row.code), 400U) << errc_name(row.code);
    EXPECT_LE(http_status(row.code), 599U) << errc_name(row.code);
  }
}

TEST(MakeError, KeepsCodeAndDetail) {
  const Error e = make_error(Errc::kPayloadTooLarge, "body exceeds 1024 bytes");
  EXPECT_EQ(e.code, Errc::kPayloadTooLarge);
  EXPECT_EQ(e.detail, "body exceeds 1024 bytes");
  EXPECT_TRUE(e.stage.empty());
}

TEST(MakeError, RecordsTheCallersSourceLocation) {
  const unsigned line = std::source_location::current().line() + 1;
  const Error e = make_error(Errc::kNotFound, "x");
  EXPECT_EQ(e.where.line(), line);
  EXPECT_NE(std::string_view(e.where.file_name()).find("error_test.cpp"), std::string_view::npos);
}

TEST(ResultOfError, ValueThrowsWithNameAndDetail) {
  const Result<int> r = make_error(Errc::kBadRequest, "bad digits");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  try {
    (void)r.value();
    FAIL() << "value() of an error result did not throw";
  } catch (const std::exception& ex) {
    EXPECT_STREQ(ex.what(), "bad_request: bad digits");
  }
}

}  // namespace
}  // namespace gw
