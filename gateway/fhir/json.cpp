// Strict JSON parsing in two passes: a SAX pass checks depth and duplicate keys without building
// anything (iteratively, so deep input cannot exhaust the stack), then the DOM is built.
#include "gateway/fhir/json.hpp"

#include <set>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gw::fhir {
namespace {

constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag |
                            rapidjson::kParseFullPrecisionFlag;

/** Checker: a SAX handler that stops at excessive depth or a repeated key. */
class Checker : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Checker> {
public:
  explicit Checker(std::size_t max_depth) : max_depth_(max_depth) {}

  bool StartObject() { return push(true); }
  bool EndObject(rapidjson::SizeType /*n*/) { return pop(); }
  bool StartArray() { return push(false); }
  bool EndArray(rapidjson::SizeType /*n*/) { return pop(); }
  bool Key(const char* s, rapidjson::SizeType len, bool /*copy*/) {
    auto& keys = stack_.back();
    if (!keys.insert(std::string(s, len)).second) {
      problem = "key '" + std::string(s, len) + "' appears twice in one object";
      return false;
    }
    return true;
  }
  bool Default() { return true; }

  std::string problem;

private:
  bool push(bool object) {
    if (stack_.size() >= max_depth_) {
      problem = "nesting deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    stack_.emplace_back();
    (void)object;
    return true;
  }
  bool pop() {
    stack_.pop_back();
    return true;
  }

  std::size_t max_depth_;
  std::vector<std::set<std::string>> stack_;
};

bool equal_values(const rapidjson::Value& a, const rapidjson::Value& b);

bool equal_objects(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.MemberCount() != b.MemberCount()) {
    return false;
  }
  for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
    auto other = b.FindMember(it->name);
    if (other == b.MemberEnd() || !equal_values(it->value, other->value)) {
      return false;
    }
  }
  return true;
}

bool equal_values(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsNumber() && b.IsNumber()) {
    if (a.IsInt64() && b.IsInt64()) {
      return a.GetInt64() == b.GetInt64();
    }
    if (a.IsUint64() && b.IsUint64()) {
      return a.GetUint64() == b.GetUint64();
    }
    return a.GetDouble() == b.GetDouble();
  }
  if (a.GetType() != b.GetType()) {
    return false;
  }
  if (a.IsObject()) {
    return equal_objects(a, b);
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) {
      return false;
    }
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!equal_values(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.IsString()) {
    return a.GetStringLength() == b.GetStringLength() &&
           std::string_view(a.GetString(), a.GetStringLength()) ==
               std::string_view(b.GetString(), b.GetStringLength());
  }
  return a == b;  // bool, null
}

}  // namespace

Result<Json> parse_json(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(Errc::kPayloadTooLarge,
                      "JSON larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  {
    Checker checker(limits.max_depth);
    rapidjson::Reader reader;
    rapidjson::MemoryStream ms(text.data(), text.size());
    const auto r = reader.Parse<kFlags>(ms, checker);
    if (r.IsError()) {
      if (!checker.problem.empty()) {
        return make_error(Errc::kBadRequest, "invalid JSON at byte " + std::to_string(r.Offset()) +
                                                 ": " + checker.problem);
      }
      return make_error(Errc::kBadRequest, "invalid JSON at byte " + std::to_string(r.Offset()) +
                                               ": " + rapidjson::GetParseError_En(r.Code()));
    }
  }
  Json doc;
  doc.Parse<kFlags>(text.data(), text.size());
  if (doc.HasParseError()) {
    return make_error(Errc::kBadRequest, "invalid JSON at byte " +
                                             std::to_string(doc.GetErrorOffset()) + ": " +
                                             rapidjson::GetParseError_En(doc.GetParseError()));
  }
  return doc;
}

std::string to_json(const rapidjson::Value& v, bool pretty) {
  rapidjson::StringBuffer buf;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    v.Accept(w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
  }
  return {buf.GetString(), buf.GetSize()};
}

bool json_equal(const rapidjson::Value& a, const rapidjson::Value& b) { return equal_values(a, b); }

}  // namespace gw::fhir
