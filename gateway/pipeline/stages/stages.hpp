// Factories for the built-in stages, in the order the pipeline runs them.
#pragma once

#include <memory>

#include "gateway/pipeline/pipeline.hpp"
#include "gateway/pipeline/stage.hpp"

namespace gw::pipeline {

/** make_authenticate_stage: client certificate -> configured organisation (403 when unknown). */
[[nodiscard]] std::unique_ptr<Stage> make_authenticate_stage(http::ServerStats& stats);
/** make_route_stage: method + path -> RouteMatch (404, 405 with Allow). */
[[nodiscard]] std::unique_ptr<Stage> make_route_stage();
/** make_dispatch_stage: runs the handler of the matched operation. */
[[nodiscard]] std::unique_ptr<Stage> make_dispatch_stage(const Services& services);

}  // namespace gw::pipeline
