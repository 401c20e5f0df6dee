// cat: string building from pieces, for paths and messages.
#pragma once

#include <string>
#include <string_view>

namespace gw {

/**
 * cat: the parts joined, with one allocation. Used instead of `"literal" + std::string`, which
 * GCC 12 misreads as an overlapping memcpy (-Wrestrict, GCC PR 105329).
 */
template <class... Parts>
[[nodiscard]] std::string cat(const Parts&... parts) {
  const std::string_view views[] = {std::string_view(parts)...};
  std::size_t size = 0;
  for (std::string_view v : views) {
    size += v.size();
  }
  std::string out;
  out.reserve(size);
  for (std::string_view v : views) {
    out.append(v);
  }
  return out;
}

}  // namespace gw
