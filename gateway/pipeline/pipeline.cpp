// The stage chain. Errors stop the chain and become OperationOutcome responses.
#include "gateway/pipeline/pipeline.hpp"

#include "gateway/fhir/format.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/operation_outcome.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/pipeline/stages/stages.hpp"

namespace gw::pipeline {

Pipeline::Pipeline(Services services) {
  stages_.push_back(make_authenticate_stage(services.stats));
  stages_.push_back(make_route_stage());
  stages_.push_back(make_dispatch_stage(services));
}

boost::asio::awaitable<http::Response> Pipeline::handle(const http::Request& req,
                                                        RequestContext& ctx) {
  http::Response res;
  {
    // Errors answer in the format the client asked for, when it asked for one we serve.
    std::string format;
    (void)http::query_param(req.query(), "_format", format);
    auto fmt = fhir::response_format(format, req.headers.get("Accept"));
    ctx.xml = fmt && *fmt == fhir::Format::kXml;
  }
  for (const auto& stage : stages_) {
    auto r = co_await stage->run(req, ctx, res);
    if (!r) {
      Error e = r.error();
      e.stage = stage->name();
      co_return render_error(e, ctx);
    }
  }
  co_return res;
}

http::Response Pipeline::render_error(const Error& e, const RequestContext& ctx) {
  http::Response res;
  res.status = http_status(e.code);
  res.headers.set("Content-Type", std::string(fhir::kFhirJson));
  if (e.code == Errc::kMethodNotAllowed && !ctx.allowed.empty()) {
    std::string allow;
    for (auto m : ctx.allowed) {
      allow += (allow.empty() ? "" : ", ") + std::string(http::method_name(m));
    }
    res.headers.set("Allow", std::move(allow));
  }
  res.body = fhir::operation_outcome_json(e, ctx.request_id);
  if (ctx.xml) {
    if (auto doc = fhir::parse_json(res.body)) {
      if (auto xml = fhir::json_to_xml(*doc, fhir::FhirVersion::kR4)) {
        res.body = std::move(*xml);
        res.headers.set("Content-Type", std::string(fhir::media_type(fhir::Format::kXml)));
      }
    }
  }
  return res;
}

}  // namespace gw::pipeline
