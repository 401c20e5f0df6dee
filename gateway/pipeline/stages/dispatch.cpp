// Dispatch: run the handler of the matched operation.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "gateway/fhir/capability.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/format.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/operation_outcome.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"
#include "gateway/pipeline/stages/stages.hpp"

namespace gw::pipeline {
namespace {

constexpr std::string_view kVersion = "0.1.0";

class Dispatch final : public Stage {
public:
  explicit Dispatch(const Services& s)
      : services_(s), interactions_(http::RouteTable::builtin().fhir_interactions()) {}
  [[nodiscard]] std::string_view name() const override { return "dispatch"; }

  boost::asio::awaitable<Result<void>> run(const http::Request& req, RequestContext& ctx,
                                           http::Response& res) override {
    if (ctx.route && touches_store(ctx.route->op) && services_.blocking) {
      // The store blocks on disk: run the handler on the blocking executor and come back.
      co_return co_await boost::asio::co_spawn(
          services_.blocking,
          [&]() -> boost::asio::awaitable<Result<void>> { co_return handle_stored(req, ctx, res); },
          boost::asio::use_awaitable);
    }
    if (ctx.route && touches_store(ctx.route->op)) {
      co_return handle_stored(req, ctx, res);  // no blocking executor (tests): run here
    }
    co_return handle(req, ctx, res);
  }

private:
  static bool touches_store(http::Operation op) {
    return op == http::Operation::kPatientSearch || op == http::Operation::kPatientRead;
  }

  Result<void> handle_stored(const http::Request& req, RequestContext& ctx,
                             http::Response& res) const {
    if (services_.mpi == nullptr) {
      return make_error(Errc::kUnavailable, "the patient index is not available on this gateway");
    }
    switch (ctx.route->op) {
      case http::Operation::kPatientSearch:
        return patient_search(req, ctx, res, *services_.mpi);
      case http::Operation::kPatientRead:
        return patient_read(req, ctx, res, *services_.mpi);
      default:
        break;
    }
    return make_error(Errc::kInternal, "no stored handler for the matched operation");
  }

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
        auto fmt = negotiated_format(req);
        if (!fmt) {
          return fmt.error();
        }
        fhir::CapabilityInfo info{kVersion, fhir::format_instant(ctx.received), base_url(req),
                                  interactions_, true};
        return set_fhir_body(res, fhir::capability_statement_json(info), *fmt);
      }
      case http::Operation::kPatientSearch:
      case http::Operation::kPatientRead:
        break;  // handle_stored
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
