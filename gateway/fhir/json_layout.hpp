// RapidJSON 1.1 value layout access for the code that builds documents in place (parse_json's fast
// path, reserve_members): internal to gateway/fhir, included through json.hpp.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include <rapidjson/document.h>

namespace gw::fhir::detail {
/** ValueLayoutAccess: names the one RapidJSON specialisation below; never defined. */
struct ValueLayoutAccess;
}  // namespace gw::fhir::detail

namespace rapidjson {

/**
 * GenericDocument<..., ValueLayoutAccess>: not a document. RapidJSON 1.1's values befriend every
 * GenericDocument, and this specialisation (for a tag no document uses) is how parse_json's fast
 * path turns an empty object or array into one over member or element storage it has filled in
 * place, the layout RapidJSON's own SAX handler gives a parsed container (size equal to capacity),
 * writes a short string into a value without a variable-length copy, and reserves an object's
 * members (reserve_members). RapidJSON 1.1 has no public call for any of them (no MemberReserve;
 * AddMember reserves sixteen members at least).
 */
template <>
class GenericDocument<UTF8<>, MemoryPoolAllocator<>, gw::fhir::detail::ValueLayoutAccess> {
public:
  using Value = GenericValue<UTF8<>, MemoryPoolAllocator<>>;

  /** adopt_members: `v`, an empty object, takes the `n` members at `members` (allocated by the
   * document's allocator), as RapidJSON's SetObjectRaw leaves it but without copying them. */
  static void adopt_members(Value& v, Value::Member* members, SizeType n) noexcept {
    store(v, sizes(n), pointer_and_flags(members, Value::kObjectFlag));
  }

  /** kShortMax: the longest string a value holds inline (RapidJSON's ShortString). */
  static constexpr SizeType kShortMax = Value::ShortString::MaxSize;

  /**
   * set_short_string: constructs in `v` (storage holding no value) the inline string of the
   * `n` (at most kShortMax) bytes at `s`, the bytes RapidJSON's copying constructor gives it
   * (the string, zeros after it, the length slot, the flags) without its variable-length copy.
   * Reads sixteen bytes at `s`: the caller's buffer must have them.
   */
  static void set_short_string(Value& v, const char* s, SizeType n) noexcept {
    static_assert(Value::ShortString::LenPos == 13 && kShortMax == 13);
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::memcpy(&head, s, sizeof head);
    std::memcpy(&tail, s + sizeof head, sizeof tail);
    head &= n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
    tail &= n <= 8 ? 0 : (std::uint64_t{1} << (8 * (n - 8))) - 1;  // at most str[8..12]
    // str[13] holds kShortMax - n (ShortString::SetLength), then the flags.
    const std::uint64_t length_slot = std::uint64_t{kShortMax - n} << 40;
    store(v, head, tail | length_slot | flags_word(Value::kShortStringFlag));
  }

  /**
   * set_copied_string: constructs in `v` (storage holding no value) a copy of the `n` bytes at
   * `s` in `allocator`, the value RapidJSON's copying constructor gives a string too long to
   * hold inline.
   */
  static void set_copied_string(Value& v, const char* s, SizeType n,
                                MemoryPoolAllocator<>& allocator) {
    auto* copy = static_cast<char*>(allocator.Malloc(std::size_t{n} + 1));
    std::memcpy(copy, s, n);
    copy[n] = '\0';
    store(v, n, pointer_and_flags(copy, Value::kCopyStringFlag));  // no hash code (RapidJSON's 0)
  }

  /** adopt_elements: `v`, an empty array, takes the `n` elements at `elements`, as RapidJSON's
   * SetArrayRaw leaves it but without copying them. */
  static void adopt_elements(Value& v, Value* elements, SizeType n) noexcept {
    store(v, sizes(n), pointer_and_flags(elements, Value::kArrayFlag));
  }

  /** reserve_members: room for `n` members in object `v`, as Reserve gives an array: a new
   * block of that size for an empty object, else the members moved to one (grown in place when
   * it is the allocator's last block). */
  static void reserve_members(Value& v, SizeType n, MemoryPoolAllocator<>& allocator) {
    const SizeType capacity = v.data_.o.capacity;
    if (capacity >= n) {
      return;
    }
    void* block = capacity == 0
                      ? allocator.Malloc(n * sizeof(Value::Member))
                      : allocator.Realloc(v.GetMembersPointer(), capacity * sizeof(Value::Member),
                                          n * sizeof(Value::Member));
    v.SetMembersPointer(static_cast<Value::Member*>(block));
    v.data_.o.capacity = n;
  }

private:
  // A value's sixteen bytes on x86-64 (RAPIDJSON_48BITPOINTER_OPTIMIZATION): a container's size
  // and capacity, then its pointer's low 48 bits, whose top 16 are the flags; an inline string's
  // 14 bytes, then the flags.
  static_assert(RAPIDJSON_48BITPOINTER_OPTIMIZATION == 1 && sizeof(Value) == 16);
  static_assert(std::endian::native == std::endian::little);
  static_assert(offsetof(Value::Flag, flags) == 14 && sizeof(Value::ShortString::str) == 14);
  static_assert(offsetof(Value::ObjectData, size) == 0 &&
                offsetof(Value::ObjectData, capacity) == 4 &&
                offsetof(Value::ObjectData, members) == 8);
  static_assert(offsetof(Value::String, length) == 0 && offsetof(Value::String, hashcode) == 4 &&
                offsetof(Value::String, str) == 8);
  static_assert(offsetof(Value::ArrayData, size) == 0 &&
                offsetof(Value::ArrayData, capacity) == 4 &&
                offsetof(Value::ArrayData, elements) == 8);

  static constexpr std::uint64_t flags_word(unsigned flags) { return std::uint64_t{flags} << 48; }

  /** sizes: the first word of a container of `n`, its size equal to its capacity. */
  static constexpr std::uint64_t sizes(SizeType n) { return n | (std::uint64_t{n} << 32); }

  static std::uint64_t pointer_and_flags(const void* p, unsigned flags) noexcept {
    return (reinterpret_cast<std::uintptr_t>(p) & 0x0000FFFFFFFFFFFFULL) | flags_word(flags);
  }

  /**
   * store: constructs in `v` the value whose bytes are `low` and `high`, written as two words and
   * never read back. Writing a field at a time (as Value's setters do: the flags, then the
   * pointer word that shares their bytes) makes the next load of that word wait for the stores
   * instead of taking their bytes (failed store forwarding): about 60% of perf's samples in
   * building a parsed tree.
   */
  static void store(Value& v, std::uint64_t low, std::uint64_t high) noexcept {
    auto* bytes = reinterpret_cast<unsigned char*>(new (&v) Value());
    std::memcpy(bytes, &low, sizeof low);
    std::memcpy(bytes + sizeof low, &high, sizeof high);
  }
};

}  // namespace rapidjson
