// One step of request handling (STYLE.md 3.2). A stage either lets the request go on or stops it
// with an Error, which the pipeline renders as an OperationOutcome.
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "gateway/core/error.hpp"
#include "gateway/http/message.hpp"
#include "gateway/pipeline/request_context.hpp"

namespace gw::pipeline {

/** Stage: stateless across requests; run() may be called from many threads at once. */
class Stage {
public:
  virtual ~Stage() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  /** run: success goes on to the next stage; an error stops the chain. */
  virtual boost::asio::awaitable<Result<void>> run(const http::Request& req, RequestContext& ctx,
                                                   http::Response& res) = 0;
};

}  // namespace gw::pipeline
