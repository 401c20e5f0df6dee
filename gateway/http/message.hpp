// HTTP requests and responses as plain values, so that everything past the session (the pipeline,
// handlers, tests) works without Beast.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/error.hpp"

namespace gw::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

/** method_name: "GET", "POST", ... ("OTHER" for methods we do not serve). */
[[nodiscard]] std::string_view method_name(Method m);

/** Headers: a small ordered list; lookups are case-insensitive. */
class Headers {
public:
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  /** set: replaces every header of that name with one value. */
  void set(std::string_view name, std::string value);
  /** get: the first value of `name`, or an empty view. */
  [[nodiscard]] std::string_view get(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const {
    return items_;
  }

private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  Method method = Method::kGet;
  std::string target;  // origin-form: path and query, as received
  Headers headers;
  std::string body;

  /** path: the target without its query string. */
  [[nodiscard]] std::string_view path() const;
  /** query: the part after '?', or empty. */
  [[nodiscard]] std::string_view query() const;
};

struct Response {
  unsigned status = 200;
  Headers headers;
  std::string body;
  /**
   * body_tail: when set, the rest of the body after `body`, shared rather than copied (e.g. a
   * kept answer's unchanging part, which every request that gets it would otherwise copy).
   * The server writes `body` then `*body_tail`; Content-Length counts both.
   */
  std::shared_ptr<const std::string> body_tail;

  /** body_size: the bytes of the whole body (`body` and `body_tail`). */
  [[nodiscard]] std::size_t body_size() const {
    return body.size() + (body_tail ? body_tail->size() : 0);
  }
};

/** query_param: the percent-decoded value of the first `name=` in a query string, if present. */
[[nodiscard]] bool query_param(std::string_view query, std::string_view name, std::string& out);

/** query_params: every parameter of a query string, percent-decoded, in order (repeats kept). */
[[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> query_params(
    std::string_view query);

}  // namespace gw::http
