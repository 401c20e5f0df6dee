// Request ids: 128 random bits as 32 hex digits, returned in X-Request-ID and on every log line.
#pragma once

#include <string>

namespace gw {

/** new_request_id: a fresh random id. Thread-safe (one generator per thread). */
[[nodiscard]] std::string new_request_id();

}  // namespace gw
