// The small JSON writing helper the policy answers share (explain, dry run inputs, grants).
#pragma once

#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gw::policy {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

/** kv: writes `"key": "value"` (value as a JSON string). */
inline void kv(JsonWriter& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace gw::policy
