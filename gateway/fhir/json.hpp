// FHIR JSON on RapidJSON: a bounded, strict parse (UTF-8 validated, depth-limited, duplicate keys
// refused) and serialisation. Resources are held as RapidJSON documents.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "gateway/core/error.hpp"
#include "gateway/fhir/json_layout.hpp"

namespace gw::fhir {

using Json = rapidjson::Document;

/** ParseLimits: bounds that keep hostile input cheap to refuse. */
struct ParseLimits {
  std::size_t max_bytes = std::size_t{64} * 1024 * 1024;
  std::size_t max_depth = 100;
};

/**
 * parse_json: parses one JSON document. Refuses (kBadRequest, with the byte offset) invalid
 * syntax, invalid UTF-8, nesting deeper than max_depth, a key repeated in one object (FHIR
 * JSON forbids it), and input larger than max_bytes. Never throws.
 */
[[nodiscard]] Result<Json> parse_json(std::string_view text, const ParseLimits& limits = {});

/** to_json: compact (or indented) JSON text for a value. */
[[nodiscard]] std::string to_json(const rapidjson::Value& v, bool pretty = false);

/**
 * reserve_members: room for `n` members in `object` (nothing when it has room already, or is not
 * an object), so that adding up to n members takes no more memory: RapidJSON 1.1 has no
 * MemberReserve, and its AddMember gives an empty object room for sixteen (512 bytes) and grows a
 * full one by half. The documents built per message (a converted record, a resource's meta) add
 * one or two members to many objects.
 */
inline void reserve_members(rapidjson::Value& object, rapidjson::SizeType n,
                            Json::AllocatorType& a) {
  if (object.IsObject()) {
    rapidjson::GenericDocument<rapidjson::UTF8<>, Json::AllocatorType,
                               detail::ValueLayoutAccess>::reserve_members(object, n, a);
  }
}

/** json_equal: semantic equality: object key order ignored, numbers compared by value. */
[[nodiscard]] bool json_equal(const rapidjson::Value& a, const rapidjson::Value& b);

}  // namespace gw::fhir
