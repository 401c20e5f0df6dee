// Awaiting the audit log from a coroutine: the records of one request are appended together (so
// they share a group commit) and the request resumes, on its own executor, once all are durable.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include "gateway/audit/audit_log.hpp"

namespace gw::pipeline {

/**
 * async_audit_all: appends every record and completes with the last sequence number once all
 * are on disk, or with the first error (kUnavailable when the log cannot write: the caller
 * answers 503 and serves nothing). The AuditLog's callbacks run on its writer thread (or at once,
 * for a refusal); completion is posted to the handler's executor, which must run on an
 * io_context (every server executor does).
 */
template <class Token>
auto async_audit_all(audit::AuditLog& log, std::vector<audit::AuditRecord> records, Token&& token) {
  return boost::asio::async_initiate<Token, void(Result<std::uint64_t>)>(
      [&log](auto handler, std::vector<audit::AuditRecord> recs) {
        using Handler = decltype(handler);
        using Executor = boost::asio::associated_executor_t<Handler>;
        struct State {
          std::mutex mu;
          std::size_t left = 0;
          std::optional<Error> first_error;
          std::uint64_t last = 0;
          std::optional<Handler> handler;
          std::optional<Executor> ex;
        };
        auto state = std::make_shared<State>();
        state->ex.emplace(boost::asio::get_associated_executor(handler));
        state->handler.emplace(std::move(handler));
        // The writer thread outlives the server's io_context, and the request's executor (a
        // strand) must never be released there: the callbacks hold only the shared state, and
        // the handler and its executor move into the posted function, which only the
        // io_context's own threads run or destroy. The writer thread touches the plain
        // io_context executor, whose copies own nothing.
        auto io = static_cast<boost::asio::io_context&>(
                      boost::asio::query(*state->ex, boost::asio::execution::context))
                      .get_executor();
        auto finish = [state, io]() {
          Result<std::uint64_t> out = state->first_error
                                          ? Result<std::uint64_t>(*state->first_error)
                                          : Result<std::uint64_t>(state->last);
          auto run = [h = std::move(*state->handler), ex = std::move(*state->ex),
                      out = std::move(out)]() mutable {
            boost::asio::dispatch(ex, [h = std::move(h), out = std::move(out)]() mutable {
              std::move(h)(std::move(out));
            });
          };
          state->handler.reset();
          state->ex.reset();
          boost::asio::post(io, std::move(run));
        };
        if (recs.empty()) {
          finish();
          return;
        }
        state->left = recs.size();
        for (auto& r : recs) {
          log.append(std::move(r), [state, finish](Result<std::uint64_t> res) {
            bool done = false;
            {
              std::lock_guard lock(state->mu);
              if (!res && !state->first_error) {
                state->first_error = res.error();
              } else if (res && *res > state->last) {
                state->last = *res;
              }
              done = --state->left == 0;
            }
            if (done) {
              finish();
            }
          });
        }
      },
      token, std::move(records));
}

}  // namespace gw::pipeline
