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

#include "gateway/core/bytes.hpp"

namespace gw::fhir {

/** json_text: the string in `v`, or empty when `v` is not a string. */
[[nodiscard]] inline std::string_view json_text(const rapidjson::Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view{};
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
