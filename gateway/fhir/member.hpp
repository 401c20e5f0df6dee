// Reading one text member of a parsed JSON object, the way every FHIR reader here needs it.
#pragma once

#include <string_view>

#include <rapidjson/document.h>

namespace gw::fhir {

/** string_member: `v[key]` when `v` is an object and that member is a string; else empty. */
[[nodiscard]] inline std::string_view string_member(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) {
    return {};
  }
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

}  // namespace gw::fhir
