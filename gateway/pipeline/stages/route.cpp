// Route: match the request once into a typed RouteMatch; nothing later reads the raw path.
#include "gateway/pipeline/stages/stages.hpp"

namespace gw::pipeline {
namespace {

class Route final : public Stage {
public:
  Route() : table_(http::RouteTable::builtin()) {}
  [[nodiscard]] std::string_view name() const override { return "route"; }

  boost::asio::awaitable<Result<void>> run(const http::Request& req, RequestContext& ctx,
                                           http::Response& /*res*/) override {
    co_return match(req, ctx);
  }

private:
  Result<void> match(const http::Request& req, RequestContext& ctx) const {
    auto m = table_.match(req.method, req.path());
    switch (m.kind) {
      case http::MatchResult::Kind::kFound:
        ctx.route = std::move(m.match);
        return {};
      case http::MatchResult::Kind::kMethodNotAllowed:
        ctx.allowed = std::move(m.allowed);
        return make_error(Errc::kMethodNotAllowed,
                          std::string(http::method_name(req.method)) +
                              " is not allowed on this path (see the Allow header)");
      case http::MatchResult::Kind::kNotFound:
        break;
    }
    // The path is not echoed: it may carry an NHS number, and error details stay free of PHI.
    return make_error(Errc::kNotFound,
                      "no endpoint serves this path; GET /fhir/metadata lists what is served");
  }

  http::RouteTable table_;
};

}  // namespace

std::unique_ptr<Stage> make_route_stage() { return std::make_unique<Route>(); }

}  // namespace gw::pipeline
