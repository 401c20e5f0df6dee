// Member and string reads on RapidJSON values for the code that walks FHIR documents member by
// member (the STU3 -> R4 converter, the UK Core checks). Malformed input is tolerated: a value of
// the wrong JSON type reads as absent or empty.
#pragma once

#include <cstring>
#include <string_view>

#include <rapidjson/document.h>

namespace gw::fhir {

/** json_text: the string in `v`, or empty when `v` is not a string. */
[[nodiscard]] inline std::string_view json_text(const rapidjson::Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view{};
}

/** json_member: the member `name` of object `obj`, or nullptr (also when `obj` is no object). */
[[nodiscard]] inline const rapidjson::Value* json_member(const rapidjson::Value& obj,
                                                         std::string_view name) {
  if (!obj.IsObject()) {
    return nullptr;
  }
  // RapidJSON's FindMember, with the first byte compared before memcmp is called: most members
  // differ in length or first byte, and these lookups are much of a document walk's time.
  for (auto m = obj.MemberBegin(); m != obj.MemberEnd(); ++m) {
    const rapidjson::SizeType n = m->name.GetStringLength();
    if (n != name.size()) {
      continue;
    }
    const char* s = m->name.GetString();
    if (n == 0 || (s[0] == name[0] && std::memcmp(s + 1, name.data() + 1, n - 1) == 0)) {
      return &m->value;
    }
  }
  return nullptr;
}

}  // namespace gw::fhir
