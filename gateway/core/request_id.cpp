// Random request ids from a per-thread generator seeded by the operating system.
#include "gateway/core/request_id.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace gw {

std::string new_request_id() {
  thread_local std::mt19937_64 gen{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64{seq};
  }()};
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out(32, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t v = gen();
    for (std::size_t i = 0; i < 16; ++i) {
      out[half * 16 + i] = kHex[v & 0xfU];
      v >>= 4U;
    }
  }
  return out;
}

}  // namespace gw
