// RapidJSON 1.1 value layout access for the code that builds documents in place (parse_json's fast
// path, reserve_members): internal to gateway/fhir, included through json.hpp.
#pragma once

#include <bit>
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
    v.data_.f.flags = Value::kObjectFlag;
    v.data_.o.size = n;
    v.data_.o.capacity = n;
    v.SetMembersPointer(members);
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
    static_assert(std::endian::native == std::endian::little);
    static_assert(sizeof(Value::ShortString::str) <= 2 * sizeof(std::uint64_t));
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::memcpy(&head, s, sizeof head);
    std::memcpy(&tail, s + sizeof head, sizeof tail);
    head &= n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
    tail &= n <= 8 ? 0 : (std::uint64_t{1} << (8 * (n - 8))) - 1;
    char bytes[2 * sizeof(std::uint64_t)];
    std::memcpy(bytes, &head, sizeof head);
    std::memcpy(bytes + sizeof head, &tail, sizeof tail);
    new (&v) Value();
    std::memcpy(v.data_.ss.str, bytes, sizeof v.data_.ss.str);
    v.data_.ss.SetLength(n);
    v.data_.f.flags = Value::kShortStringFlag;
  }

  /** adopt_elements: `v`, an empty array, takes the `n` elements at `elements`, as RapidJSON's
   * SetArrayRaw leaves it but without copying them. */
  static void adopt_elements(Value& v, Value* elements, SizeType n) noexcept {
    v.data_.f.flags = Value::kArrayFlag;
    v.data_.a.size = n;
    v.data_.a.capacity = n;
    v.SetElementsPointer(elements);
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
};

}  // namespace rapidjson
