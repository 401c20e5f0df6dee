// Unit tests for gateway/pipeline/pipeline.hpp: authenticate -> route -> dispatch, driven directly
// on a real io_context (no sockets), asserting on responses and on the server's counters.
#include "gateway/pipeline/pipeline.hpp"

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/config/loader.hpp"
#include "gateway/fhir/operation_outcome.hpp"

namespace gw::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kConfig =
    "data_dir: /srv/caregw\n"
    "tls: {certificate: server.crt, private_key: server.key, client_ca: ca.crt}\n"
    "listeners:\n"
    "  - {name: provider, port: 0, client_certificate: required}\n"
    "  - {name: browser, port: 0, client_certificate: optional}\n"
    "organisations:\n"
    "  - {ods: Z90001, name: Riverside Medical Practice, kind: gp}\n"
    "  - ods: Z9A01\n"
    "    name: Borough General Hospital\n"
    "    kind: acute\n"
    "    certificate_subject: CN=Z9A01,O=caregw dev\n";

config::ConfigPtr test_config() {
  config::LoadOptions opts;
  opts.check_files = false;
  auto r = config::load_text(kConfig, "pipeline_test.yaml", "/tmp", opts);
  for (const auto& e : r.errors) {
    ADD_FAILURE() << e.str();
  }
  return r.config;
}

/** Outcome: the interesting fields of an OperationOutcome body. */
struct Outcome {
  std::string resource_type, severity, code, text, diagnostics;
};

/** member: the string member `key` of `v`, or "" (and a test failure) if there is none. */
std::string member(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) {
    ADD_FAILURE() << "no string member '" << key << "'";
    return {};
  }
  return {v[key].GetString(), v[key].GetStringLength()};
}

Outcome outcome_of(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  Outcome o;
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("issue") || !d["issue"].IsArray() ||
      d["issue"].Empty() || !d["issue"][0].IsObject() || !d["issue"][0].HasMember("details")) {
    ADD_FAILURE() << "not an OperationOutcome: " << body;
    return o;
  }
  o.resource_type = member(d, "resourceType");
  const auto& i = d["issue"][0];
  o.severity = member(i, "severity");
  o.code = member(i, "code");
  o.text = member(i["details"], "text");
  o.diagnostics = member(i, "diagnostics");
  return o;
}

class PipelineTest : public ::testing::Test {
protected:
  PipelineTest() {
    // A fixed time, so the CapabilityStatement's date is deterministic.
    ctx_.received = std::chrono::system_clock::time_point(std::chrono::seconds(1'714'564'800));
    ctx_.request_id = "00112233445566778899aabbccddeeff";
    ctx_.listener = "provider";
    ctx_.client_cert_mode = config::ClientCert::kRequired;
    ctx_.config = config_;
    present("Z90001", "CN=Z90001,O=caregw dev");
  }

  void present(std::string cn, std::string subject) {
    ctx_.peer.presented = true;
    ctx_.peer.common_name = std::move(cn);
    ctx_.peer.subject = std::move(subject);
  }

  void no_certificate(config::ClientCert mode, std::string listener) {
    ctx_.peer = tls::PeerIdentity{};
    ctx_.client_cert_mode = mode;
    ctx_.listener = std::move(listener);
  }

  /** handle: runs the pipeline to completion on a fresh io_context. */
  http::Response handle(http::Method method, std::string target) {
    http::Request req;
    req.method = method;
    req.target = std::move(target);
    req.headers = headers_;
    return run(req);
  }

  http::Response run(const http::Request& req) {
    boost::asio::io_context io;
    std::optional<http::Response> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, pipeline_.handle(req, ctx_),
                          [&](std::exception_ptr e, http::Response res) {
                            failure = e;
                            if (!e) {
                              out = std::move(res);
                            }
                          });
    io.run();
    if (failure) {
      std::rethrow_exception(failure);
    }
    EXPECT_TRUE(out.has_value()) << "the pipeline did not complete";
    return out.value_or(http::Response{0, {}, {}, {}});
  }

  [[nodiscard]] std::uint64_t refused(std::string_view listener, std::string_view reason) const {
    const metrics::Counter* c = stats_.peers_refused.find({listener, reason});
    return c == nullptr ? 0 : c->value();
  }

  metrics::Registry registry_;
  http::ServerStats stats_{registry_};
  Pipeline pipeline_{Services{registry_, stats_}};
  config::ConfigPtr config_ = test_config();
  RequestContext ctx_;
  http::Headers headers_;
};

// ---------------------------------------------------------------------------------------------
// Authenticate

TEST_F(PipelineTest, KnownOrganisationGetsHealth) {
  ASSERT_NE(config_, nullptr);
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/health+json");
  EXPECT_EQ(res.body, R"({"status":"pass"})");
  ASSERT_NE(ctx_.organisation, nullptr);
  EXPECT_EQ(ctx_.organisation->ods.str(), "Z90001");
  EXPECT_EQ(ctx_.organisation->kind, config::OrgKind::kGp);
  ASSERT_TRUE(ctx_.route.has_value());
  EXPECT_EQ(ctx_.route->op, http::Operation::kHealth);
}

TEST_F(PipelineTest, LowerCaseCommonNameFindsTheOrganisation) {
  present("z90001", "CN=z90001,O=caregw dev");
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 200U);
  ASSERT_NE(ctx_.organisation, nullptr);
  EXPECT_EQ(ctx_.organisation->ods.str(), "Z90001");
}

TEST_F(PipelineTest, UnknownOrganisationIsForbiddenAndCounted) {
  present("Z99999", "CN=Z99999,O=caregw dev");
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 403U);
  EXPECT_EQ(res.headers.get("Content-Type"), fhir::kFhirJson);
  const Outcome o = outcome_of(res.body);
  EXPECT_EQ(o.resource_type, "OperationOutcome");
  EXPECT_EQ(o.severity, "error");
  EXPECT_EQ(o.code, "forbidden");
  EXPECT_THAT(o.text, HasSubstr("Z99999"));
  EXPECT_THAT(o.diagnostics, HasSubstr(ctx_.request_id));
  EXPECT_THAT(o.diagnostics, HasSubstr("authenticate"));
  EXPECT_EQ(ctx_.organisation, nullptr);
  EXPECT_EQ(refused("provider", "unknown_organisation"), 1U);
  EXPECT_EQ(refused("browser", "unknown_organisation"), 0U);

  (void)handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(refused("provider", "unknown_organisation"), 2U);
}

TEST_F(PipelineTest, AuthenticationRunsBeforeRouting) {
  present("Z99999", "CN=Z99999");
  EXPECT_EQ(handle(http::Method::kGet, "/no/such/path").status, 403U);
  EXPECT_EQ(handle(http::Method::kPost, "/healthz").status, 403U);
  EXPECT_FALSE(ctx_.route.has_value());
}

TEST_F(PipelineTest, CommonNameThatIsNotAnOdsCodeIsForbidden) {
  present("gateway.example.org", "CN=gateway.example.org");
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 403U);
  EXPECT_EQ(outcome_of(res.body).code, "forbidden");
  EXPECT_EQ(refused("provider", "subject_not_ods"), 1U);
  EXPECT_EQ(refused("provider", "unknown_organisation"), 0U);
}

TEST_F(PipelineTest, PinnedSubjectMismatchIsForbidden) {
  present("Z9A01", "CN=Z9A01,O=someone else");
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 403U);
  const Outcome o = outcome_of(res.body);
  EXPECT_EQ(o.code, "forbidden");
  EXPECT_THAT(o.text, HasSubstr("Z9A01"));
  EXPECT_EQ(ctx_.organisation, nullptr);
  EXPECT_EQ(refused("provider", "subject_mismatch"), 1U);
}

TEST_F(PipelineTest, PinnedSubjectMatchIsAllowed) {
  present("Z9A01", "CN=Z9A01,O=caregw dev");
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 200U);
  ASSERT_NE(ctx_.organisation, nullptr);
  EXPECT_EQ(ctx_.organisation->ods.str(), "Z9A01");
  EXPECT_EQ(ctx_.organisation->kind, config::OrgKind::kAcute);
}

TEST_F(PipelineTest, NoCertificateOnRequiredListenerIsUnauthenticated) {
  no_certificate(config::ClientCert::kRequired, "provider");
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 401U);
  EXPECT_EQ(res.headers.get("Content-Type"), fhir::kFhirJson);
  const Outcome o = outcome_of(res.body);
  EXPECT_EQ(o.code, "login");
  EXPECT_THAT(o.diagnostics, HasSubstr("authenticate"));
  EXPECT_EQ(ctx_.organisation, nullptr);
  EXPECT_EQ(refused("provider", "no_certificate"), 1U);
}

TEST_F(PipelineTest, NoCertificateOnOptionalListenerIsServed) {
  no_certificate(config::ClientCert::kOptional, "browser");
  const auto res = handle(http::Method::kGet, "/healthz");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.body, R"({"status":"pass"})");
  EXPECT_EQ(ctx_.organisation, nullptr);
  EXPECT_EQ(refused("browser", "no_certificate"), 0U);
}

TEST_F(PipelineTest, UnknownOrganisationOnOptionalListenerIsStillForbidden) {
  // A certificate that is presented must name a configured organisation even where it is optional.
  ctx_.client_cert_mode = config::ClientCert::kOptional;
  ctx_.listener = "browser";
  present("Z99999", "CN=Z99999");
  EXPECT_EQ(handle(http::Method::kGet, "/healthz").status, 403U);
  EXPECT_EQ(refused("browser", "unknown_organisation"), 1U);
}

// ---------------------------------------------------------------------------------------------
// Route

TEST_F(PipelineTest, UnknownPathIsNotFoundWithoutEchoingIt) {
  const auto res = handle(http::Method::kGet, "/fhir/Nowhere/9990000018");
  EXPECT_EQ(res.status, 404U);
  const Outcome o = outcome_of(res.body);
  EXPECT_EQ(o.code, "not-found");
  EXPECT_THAT(o.diagnostics, HasSubstr("route"));
  // The path may carry an NHS number; error details never do.
  EXPECT_THAT(res.body, Not(HasSubstr("9990000018")));
  EXPECT_FALSE(res.headers.has("Allow"));
}

TEST_F(PipelineTest, WrongMethodIsMethodNotAllowedWithAllow) {
  const auto res = handle(http::Method::kPost, "/healthz");
  EXPECT_EQ(res.status, 405U);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD");
  EXPECT_EQ(res.headers.get("Content-Type"), fhir::kFhirJson);
  const Outcome o = outcome_of(res.body);
  EXPECT_EQ(o.code, "not-supported");
  EXPECT_THAT(o.text, HasSubstr("POST"));
}

TEST_F(PipelineTest, DeleteOnMetadataIsMethodNotAllowed) {
  const auto res = handle(http::Method::kDelete, "/fhir/metadata");
  EXPECT_EQ(res.status, 405U);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD");
}

TEST_F(PipelineTest, HeadIsServedLikeGet) {
  const auto res = handle(http::Method::kHead, "/healthz");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/health+json");
}

TEST_F(PipelineTest, QueryStringDoesNotAffectRouting) {
  EXPECT_EQ(handle(http::Method::kGet, "/healthz?verbose=1").status, 200U);
}

// ---------------------------------------------------------------------------------------------
// Dispatch

TEST_F(PipelineTest, ReadyWhenServing) {
  const auto res = handle(http::Method::kGet, "/readyz");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/health+json");
  EXPECT_EQ(res.body, R"({"status":"pass"})");
}

TEST_F(PipelineTest, NotReadyWhenDraining) {
  ctx_.draining = true;
  const auto res = handle(http::Method::kGet, "/readyz");
  EXPECT_EQ(res.status, 503U);
  EXPECT_THAT(res.body, HasSubstr(R"("status":"fail")"));
  // Liveness is not readiness: a draining server is still alive.
  EXPECT_EQ(handle(http::Method::kGet, "/healthz").status, 200U);
}

TEST_F(PipelineTest, MetricsRendersTheRegistry) {
  present("Z99999", "CN=Z99999");
  (void)handle(http::Method::kGet, "/healthz");  // one refusal, to see it in the output
  present("Z90001", "CN=Z90001,O=caregw dev");
  const auto res = handle(http::Method::kGet, "/metrics");
  EXPECT_EQ(res.status, 200U);
  EXPECT_THAT(std::string(res.headers.get("Content-Type")), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(res.body, HasSubstr("# HELP caregw_http_requests_total "));
  EXPECT_THAT(res.body, HasSubstr("# TYPE caregw_http_requests_total counter\n"));
  EXPECT_THAT(res.body, HasSubstr("caregw_peers_refused_total{listener=\"provider\","
                                  "reason=\"unknown_organisation\"} 1\n"));
}

TEST_F(PipelineTest, MetadataIsACapabilityStatement) {
  headers_.add("Host", "gw.example:8443");
  const auto res = handle(http::Method::kGet, "/fhir/metadata");
  ASSERT_EQ(res.status, 200U) << res.body;
  EXPECT_EQ(res.headers.get("Content-Type"), fhir::kFhirJson);
  EXPECT_THAT(std::string(res.headers.get("Content-Type")), HasSubstr("application/fhir+json"));
  rapidjson::Document d;
  d.Parse(res.body.c_str(), res.body.size());
  ASSERT_FALSE(d.HasParseError()) << res.body;
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(member(d, "resourceType"), "CapabilityStatement");
  ASSERT_TRUE(d.HasMember("implementation"));
  EXPECT_EQ(member(d["implementation"], "url"), "https://gw.example:8443/fhir");
  EXPECT_EQ(member(d, "date"), "2024-05-01T12:00:00Z");
}

TEST_F(PipelineTest, MetadataWithoutHostUsesLocalhost) {
  const auto res = handle(http::Method::kGet, "/fhir/metadata");
  ASSERT_EQ(res.status, 200U);
  EXPECT_THAT(res.body, HasSubstr(R"("url":"https://localhost/fhir")"));
}

TEST_F(PipelineTest, MetadataFormatXmlIsServedAsXml) {
  const auto res = handle(http::Method::kGet, "/fhir/metadata?_format=xml");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_THAT(res.body, HasSubstr(R"(<CapabilityStatement xmlns="http://hl7.org/fhir">)"));
  EXPECT_THAT(res.body, HasSubstr(R"(<format value="application/fhir+xml"/>)"));
}

TEST_F(PipelineTest, MetadataFormatHtmlIsNotAcceptable) {
  const auto res = handle(http::Method::kGet, "/fhir/metadata?_format=html");
  EXPECT_EQ(res.status, 406U);
  const Outcome o = outcome_of(res.body);
  EXPECT_EQ(o.code, "not-supported");
  EXPECT_THAT(o.diagnostics, HasSubstr("dispatch"));
}

TEST_F(PipelineTest, MetadataFormatJsonIsServed) {
  for (const char* target :
       {"/fhir/metadata?_format=json", "/fhir/metadata?_format=application/json",
        "/fhir/metadata?_format=application/fhir%2Bjson",
        "/fhir/metadata?_format=application/fhir+json"}) {
    EXPECT_EQ(handle(http::Method::kGet, target).status, 200U) << target;
  }
}

TEST_F(PipelineTest, AcceptFhirXmlIsServedAndErrorsFollowIt) {
  headers_.add("Accept", "application/fhir+xml");
  auto res = handle(http::Method::kGet, "/fhir/metadata");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/fhir+xml; charset=utf-8");
  res = handle(http::Method::kGet, "/fhir/Nothing");
  EXPECT_EQ(res.status, 404U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/fhir+xml; charset=utf-8");
  EXPECT_THAT(res.body, HasSubstr(R"(<OperationOutcome xmlns="http://hl7.org/fhir">)"));
  EXPECT_THAT(res.body, HasSubstr(R"(<code value="not-found"/>)"));
}

TEST_F(PipelineTest, AcceptHtmlIsNotAcceptableAndAnsweredInJson) {
  headers_.add("Accept", "text/html");
  const auto res = handle(http::Method::kGet, "/fhir/metadata");
  EXPECT_EQ(res.status, 406U);
  EXPECT_EQ(res.headers.get("Content-Type"), fhir::kFhirJson);
  EXPECT_EQ(outcome_of(res.body).code, "not-supported");
}

TEST_F(PipelineTest, AcceptFhirJsonIsServed) {
  headers_.add("Accept", "application/fhir+json");
  const auto res = handle(http::Method::kGet, "/fhir/metadata");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), fhir::kFhirJson);
}

TEST_F(PipelineTest, AcceptWildcardIsServed) {
  headers_.add("Accept", "*/*");
  EXPECT_EQ(handle(http::Method::kGet, "/fhir/metadata").status, 200U);
}

TEST_F(PipelineTest, FormatParameterWinsOverAccept) {
  headers_.add("Accept", "application/fhir+xml");
  EXPECT_EQ(handle(http::Method::kGet, "/fhir/metadata?_format=json").status, 200U);
  headers_ = {};
  headers_.add("Accept", "application/fhir+json");
  const auto res = handle(http::Method::kGet, "/fhir/metadata?_format=xml");
  EXPECT_EQ(res.status, 200U);
  EXPECT_EQ(res.headers.get("Content-Type"), "application/fhir+xml; charset=utf-8");
}

// ---------------------------------------------------------------------------------------------
// render_error

TEST(RenderError, StatusContentTypeAndBody) {
  RequestContext ctx;
  ctx.request_id = "rid-1";
  Error e = make_error(Errc::kPayloadTooLarge, "body exceeds the 1024-byte limit");
  e.stage = "session";
  const http::Response res = Pipeline::render_error(e, ctx);
  EXPECT_EQ(res.status, 413U);
  EXPECT_EQ(res.headers.get("Content-Type"), fhir::kFhirJson);
  EXPECT_FALSE(res.headers.has("Allow"));
  const Outcome o = outcome_of(res.body);
  EXPECT_EQ(o.code, "too-long");
  EXPECT_EQ(o.text, "body exceeds the 1024-byte limit");
  EXPECT_EQ(o.diagnostics, "request rid-1; stage session");
}

TEST(RenderError, MethodNotAllowedListsEveryAllowedMethod) {
  RequestContext ctx;
  ctx.allowed = {http::Method::kGet, http::Method::kHead, http::Method::kPost};
  const http::Response res = Pipeline::render_error(make_error(Errc::kMethodNotAllowed, "no"), ctx);
  EXPECT_EQ(res.status, 405U);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD, POST");
}

}  // namespace
}  // namespace gw::pipeline
