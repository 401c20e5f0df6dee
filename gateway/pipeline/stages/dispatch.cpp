// Dispatch: run the handler of the matched operation.
#include <ctime>

#include "gateway/fhir/capability.hpp"
#include "gateway/fhir/format.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/operation_outcome.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/pipeline/stages/stages.hpp"

namespace gw::pipeline {
namespace {

constexpr std::string_view kVersion = "0.1.0";

std::string fhir_datetime(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buf, n};
}

class Dispatch final : public Stage {
public:
  explicit Dispatch(const Services& s)
      : services_(s), interactions_(http::RouteTable::builtin().fhir_interactions()) {}
  [[nodiscard]] std::string_view name() const override { return "dispatch"; }

  boost::asio::awaitable<Result<void>> run(const http::Request& req, RequestContext& ctx,
                                           http::Response& res) override {
    co_return handle(req, ctx, res);
  }

private:
  Result<void> handle(const http::Request& req, RequestContext& ctx, http::Response& res) const {
    if (!ctx.route) {
      return make_error(Errc::kInternal, "dispatch ran without a matched route");
    }
    switch (ctx.route->op) {
      case http::Operation::kHealth:
        res.status = 200;
        res.headers.set("Content-Type", "application/health+json");
        res.body = R"({"status":"pass"})";
        return {};
      case http::Operation::kReady:
        res.headers.set("Content-Type", "application/health+json");
        if (ctx.draining) {
          res.status = 503;
          res.body = R"({"status":"fail","output":"shutting down"})";
        } else {
          res.status = 200;
          res.body = R"({"status":"pass"})";
        }
        return {};
      case http::Operation::kMetrics:
        res.status = 200;
        res.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        res.body = services_.registry.render();
        return {};
      case http::Operation::kCapabilities: {
        std::string format;
        (void)http::query_param(req.query(), "_format", format);
        auto fmt = fhir::response_format(format, req.headers.get("Accept"));
        if (!fmt) {
          return fmt.error();
        }
        const std::string_view host = req.headers.get("Host");
        fhir::CapabilityInfo info{
            kVersion, fhir_datetime(ctx.received),
            "https://" + std::string(host.empty() ? "localhost" : host) + "/fhir", interactions_,
            true};
        res.status = 200;
        res.headers.set("Content-Type", std::string(fhir::media_type(*fmt)));
        res.body = fhir::capability_statement_json(info);
        if (*fmt == fhir::Format::kXml) {
          auto doc = fhir::parse_json(res.body);
          auto xml = doc ? fhir::json_to_xml(*doc, fhir::FhirVersion::kR4)
                         : Result<std::string>(doc.error());
          if (!xml) {
            return make_error(Errc::kInternal,
                              "the CapabilityStatement could not be written as XML");
          }
          res.body = std::move(*xml);
        }
        return {};
      }
    }
    return make_error(Errc::kInternal, "no handler for the matched operation");
  }

  Services services_;
  std::vector<http::FhirInteraction> interactions_;
};

}  // namespace

std::unique_ptr<Stage> make_dispatch_stage(const Services& services) {
  return std::make_unique<Dispatch>(services);
}

}  // namespace gw::pipeline
