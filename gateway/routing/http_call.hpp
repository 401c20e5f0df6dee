// One outbound HTTPS request and its answer, as plain values: what a caller that needs the
// answer's body (a GP Connect query, gateway/gpconnect) asks HttpsTransport::call() for, without
// seeing Beast or Asio.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gw::routing {

/** HttpCall: a POST to `url` (https://host[:port]/path) with these headers and body. */
struct HttpCall {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers{};  // Host is set from the URL
  std::string body{};
};

/** HttpAnswer: what the server answered (any status; the caller decides what it means). */
struct HttpAnswer {
  unsigned status = 0;
  std::string content_type{};
  std::string body{};
};

}  // namespace gw::routing
