// ViewSet: the set of string views the EMIS adapter keeps per extract (its GUIDs, the people's
// RefIDs), without an allocation per element.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

namespace gw::adapters::emis::detail {

/**
 * ViewSet: a set of string views (the text they view must outlive it) in one vector, by open
 * addressing with linear probing, kept at most half full. std::unordered_set allocates a node
 * for each element, and an extract adds hundreds. `Hash` and `Eq` as for std::unordered_set
 * (views that Eq calls equal must hash alike).
 */
template <class Hash = std::hash<std::string_view>, class Eq = std::equal_to<std::string_view>>
class ViewSet {
public:
  /** reserve: room for `n` views without growing. */
  void reserve(std::size_t n) {
    if (n * 2 > slots_.size()) {
      rehash(buckets_for(n));
    }
  }

  /** insert: adds `v`; false (and nothing added) when an equal view is in the set. */
  bool insert(std::string_view v) {
    if ((size_ + 1) * 2 > slots_.size()) {
      rehash(buckets_for(size_ + 1));
    }
    Slot& slot = slots_[slot_of(v)];
    if (slot.used) {
      return false;
    }
    slot = Slot{v, true};
    ++size_;
    return true;
  }

  [[nodiscard]] bool contains(std::string_view v) const {
    return !slots_.empty() && slots_[slot_of(v)].used;
  }

  [[nodiscard]] std::size_t size() const { return size_; }

private:
  struct Slot {
    std::string_view view;
    bool used = false;
  };

  /** buckets_for: the power of two (at least 16) that holds n views at most half full. */
  static std::size_t buckets_for(std::size_t n) {
    std::size_t buckets = 16;
    while (buckets < n * 2) {
      buckets *= 2;
    }
    return buckets;
  }

  /** slot_of: the slot holding a view equal to `v`, or the free slot where it would go (there
   *  always is one: the table is never more than half full). */
  [[nodiscard]] std::size_t slot_of(std::string_view v) const {
    const std::size_t mask = slots_.size() - 1;
    const std::size_t hash = Hash{}(v);
    std::size_t i = hash & mask;
    while (slots_[i].used && !Eq{}(slots_[i].view, v)) {
      i = (i + 1) & mask;
    }
    return i;
  }

  void rehash(std::size_t buckets) {
    std::vector<Slot> old(buckets);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.used) {
        slots_[slot_of(s.view)] = s;
      }
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace gw::adapters::emis::detail
