// The stage chain. Errors stop the chain and become OperationOutcome responses.
#include "gateway/pipeline/pipeline.hpp"

#include "gateway/fhir/operation_outcome.hpp"
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
  return res;
}

}  // namespace gw::pipeline
