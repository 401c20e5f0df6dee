// NameTable: a fixed lookup table keyed by FHIR element and type names, for the code that looks
// names up for every element of every resource (the STU3 -> R4 converter, the UK Core checks).
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/bytes.hpp"

namespace gw::fhir {

/**
 * NameTable: a fixed table from names (element and type names: short ASCII) to values, built
 * once, looked up for every element of every resource: open addressing in a power-of-two table
 * at most a quarter full, hashed on the length and three bytes, so a lookup is a few instructions
 * and usually one compare. Names must outlive the table.
 */
template <class T>
class NameTable {
public:
  explicit NameTable(const std::vector<std::pair<std::string_view, T>>& entries) {
    std::size_t size = 8;
    while (size < entries.size() * 4) {
      size *= 2;
    }
    slots_.resize(size);
    for (const auto& [name, value] : entries) {
      Slot& slot = slots_[probe(name)];
      if (!slot.used) {
        slot = Slot{name, value, true};  // the first of a repeated name stays
      }
    }
  }
  /** find: the value of `name`, or nullptr. */
  [[nodiscard]] const T* find(std::string_view name) const {
    const Slot& slot = slots_[probe(name)];
    return slot.used ? &slot.value : nullptr;
  }

private:
  struct Slot {
    std::string_view name;
    T value{};
    bool used = false;
  };
  /** probe: the slot holding `name`, or the free slot where it would go. */
  [[nodiscard]] std::size_t probe(std::string_view name) const {
    const std::size_t mask = slots_.size() - 1;
    const std::size_t n = name.size();
    const auto byte = [&](std::size_t i) -> std::size_t {
      return static_cast<unsigned char>(name[i]);
    };
    std::size_t h = n == 0 ? 0 : n * 131 + byte(0) * 31 + byte(n / 2) * 7 + byte(n - 1);
    for (h &= mask; slots_[h].used && !same_text(slots_[h].name, name); h = (h + 1) & mask) {
    }
    return h;
  }
  std::vector<Slot> slots_;
};

}  // namespace gw::fhir
