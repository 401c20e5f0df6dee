// Member and string reads on RapidJSON values for the code that walks FHIR documents member by
// member (the STU3 -> R4 converter, the UK Core checks). Malformed input is tolerated: a value of
// the wrong JSON type reads as absent or empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace gw::fhir {

/** json_text: the string in `v`, or empty when `v` is not a string. */
[[nodiscard]] inline std::string_view json_text(const rapidjson::Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view{};
}

/** same_ends: whether the first and the last sizeof(Word) of the n bytes at a and b (n at least
 *  that, at most twice that) are equal, which is all of them. */
template <class Word>
[[nodiscard]] inline bool same_ends(const char* a, const char* b, std::size_t n) {
  Word a0 = 0, a1 = 0, b0 = 0, b1 = 0;
  std::memcpy(&a0, a, sizeof(Word));
  std::memcpy(&b0, b, sizeof(Word));
  std::memcpy(&a1, a + n - sizeof(Word), sizeof(Word));
  std::memcpy(&b1, b + n - sizeof(Word), sizeof(Word));
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/**
 * same_bytes: whether the `n` bytes at `a` and at `b` are equal. Up to 16 bytes (member names,
 * codes, most values) without a call: two loads from each side that overlap when n is not a
 * power of two, never a byte outside either; memcmp beyond. These compares are much of a
 * document walk's time, and a call to memcmp costs more than the compare for a short name.
 */
[[nodiscard]] inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n > 16) {
    return std::memcmp(a, b, n) == 0;
  }
  if (n >= 8) {
    return same_ends<std::uint64_t>(a, b, n);
  }
  if (n >= 4) {
    return same_ends<std::uint32_t>(a, b, n);
  }
  // 0 to 3 bytes: the first, the middle and the last byte are all of them.
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

/** same_text: `a == b`, with same_bytes. */
[[nodiscard]] inline bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size());
}

/** named: whether member name `key` is the literal `name` (a compare of known length, written
 *  out inline; the walks test every member name). */
template <std::size_t N>
[[nodiscard]] inline bool named(std::string_view key, const char (&name)[N]) {
  return key.size() == N - 1 && same_bytes(key.data(), name, N - 1);
}

/** json_name_is: whether member name `n` is `name`. */
[[nodiscard]] inline bool json_name_is(const rapidjson::Value& n, std::string_view name) {
  return n.GetStringLength() == name.size() && same_bytes(n.GetString(), name.data(), name.size());
}

/** json_member: the member `name` of object `obj`, or nullptr (also when `obj` is no object). */
[[nodiscard]] inline const rapidjson::Value* json_member(const rapidjson::Value& obj,
                                                         std::string_view name) {
  if (!obj.IsObject()) {
    return nullptr;
  }
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    if (json_name_is(m->name, name)) {
      return &m->value;
    }
  }
  return nullptr;
}

/**
 * ElementPath: where a recursive walk of a document is, as segments (member names and array
 * indexes) under a root path, written out (".name", "[i]") only when a finding needs it, since
 * nearly every element has nothing to report. `root` must outlive the path.
 */
class ElementPath {
public:
  explicit ElementPath(const std::string& root) : root_(root) { segments_.reserve(16); }
  void push_name(std::string_view name) { segments_.push_back({name, 0, false}); }
  void push_index(std::size_t i) { segments_.push_back({{}, i, true}); }
  void pop() { segments_.pop_back(); }

  /** str: the path as text, each member name written by `name` (a string_view -> string). */
  template <class Name>
  [[nodiscard]] std::string str(Name&& name) const {
    std::string out = root_;
    for (const Segment& s : segments_) {
      if (s.is_index) {
        out.append("[").append(std::to_string(s.index)).append("]");
      } else {
        out.append(".").append(name(s.name));
      }
    }
    return out;
  }
  /** str: the path as text, member names as they are. */
  [[nodiscard]] std::string str() const {
    return str([](std::string_view n) { return n; });
  }

private:
  struct Segment {
    std::string_view name;
    std::size_t index;
    bool is_index;
  };
  const std::string& root_;
  std::vector<Segment> segments_;
};

}  // namespace gw::fhir
