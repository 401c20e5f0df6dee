// The EMIS adapter's JSON writing (resource_writer.hpp): growing the buffer, escaping, and a
// RapidJSON value written as RapidJSON's compact writer writes it.
#include "adapters/emis/resource_writer.hpp"

#include <charconv>
#include <cmath>

#include <rapidjson/internal/dtoa.h>

namespace gw::adapters::emis::detail {
namespace {

/** put_escape: the escape of `c` at `out`, as RapidJSON writes it; the end. */
char* put_escape(char* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  *out++ = '\\';
  switch (c) {
    case '"':
    case '\\':
      *out++ = static_cast<char>(c);
      break;
    case '\b':
      *out++ = 'b';
      break;
    case '\t':
      *out++ = 't';
      break;
    case '\n':
      *out++ = 'n';
      break;
    case '\f':
      *out++ = 'f';
      break;
    case '\r':
      *out++ = 'r';
      break;
    default:
      *out++ = 'u';
      *out++ = '0';
      *out++ = '0';
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 0xF];
  }
  return out;
}

/** text_of: the bytes of string value `s`, read once, before anything is written (a write
 *  through a char pointer could otherwise make the compiler read them again). */
[[gnu::always_inline]] inline std::string_view text_of(const rapidjson::Value& s) {
  return {s.GetString(), s.GetStringLength()};
}

/** put_quoted: `s` at `out`, quoted and escaped (room for json_chars_bound + 2 ensured); the
 *  end. */
[[gnu::always_inline]] inline char* put_quoted(char* out, std::string_view s) {
  *out++ = '"';
  out = put_json_chars(out, s);
  *out++ = '"';
  return out;
}

/** quoted_bound: the most bytes `s` takes written, quoted. */
constexpr std::size_t quoted_bound(std::string_view s) { return json_chars_bound(s.size()) + 2; }

/** put_number: a number as RapidJSON's writer writes it (integers in decimal, doubles in its own
 *  shortest round-trip form, e.g. "1.0" and "1e21"). False for a NaN or an infinity. */
bool put_number(const rapidjson::Value& v, JsonOut& out) {
  constexpr std::size_t kMost = 32;  // dtoa writes at most 25 bytes, an integer 20
  char* at = out.room(kMost);
  char* end = nullptr;
  if (v.IsDouble()) {
    const double d = v.GetDouble();
    if (!std::isfinite(d)) {
      return false;
    }
    end = rapidjson::internal::dtoa(d, at);
  } else if (v.IsInt64()) {
    end = std::to_chars(at, at + kMost, v.GetInt64()).ptr;
  } else {
    end = std::to_chars(at, at + kMost, v.GetUint64()).ptr;
  }
  out.done(end);
  return true;
}

}  // namespace

namespace {

/** Spare: the buffer the last JsonOut on this thread left behind. */
struct Spare {
  std::unique_ptr<char[]> buf;
  std::size_t cap = 0;
};

Spare& spare() {
  thread_local Spare s;
  return s;
}

}  // namespace

JsonOut::JsonOut() {
  Spare& s = spare();
  if (s.buf != nullptr) {
    buf_ = std::move(s.buf);
    cap_ = s.cap;
    s.cap = 0;
  } else {
    buf_ = std::make_unique_for_overwrite<char[]>(kStartBytes);
    cap_ = kStartBytes;
  }
}

JsonOut::~JsonOut() {
  Spare& s = spare();
  if (cap_ <= kSpareMostBytes && cap_ > s.cap) {
    s.buf = std::move(buf_);
    s.cap = cap_;
  }
}

void JsonOut::grow(std::size_t n) {
  std::size_t cap = cap_ * 2;
  while (cap - len_ < n) {
    cap *= 2;
  }
  auto bigger = std::make_unique_for_overwrite<char[]>(cap);
  std::memcpy(bigger.get(), buf_.get(), len_);
  buf_ = std::move(bigger);
  cap_ = cap;
}

char* put_json_chars_from(char* out, std::string_view s, std::size_t i) {
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (kJsonEscapes[c]) {
      out = put_escape(out, c);
    } else {
      *out++ = static_cast<char>(c);
    }
  }
  return out;
}

// Strings (most members' values and array items) are written with their key or separator in
// one step, without a call of their own.
bool write_json(const rapidjson::Value& v, JsonOut& out) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out.put("null");
      return true;
    case rapidjson::kFalseType:
      out.put("false");
      return true;
    case rapidjson::kTrueType:
      out.put("true");
      return true;
    case rapidjson::kStringType: {
      const std::string_view text = text_of(v);
      out.done(put_quoted(out.room(quoted_bound(text)), text));
      return true;
    }
    case rapidjson::kNumberType:
      return put_number(v, out);
    case rapidjson::kObjectType: {
      out.put('{');
      const auto begin = v.MemberBegin();
      const auto end = v.MemberEnd();
      for (auto m = begin; m != end; ++m) {
        const std::string_view name = text_of(m->name);
        const bool string = m->value.IsString();
        const std::string_view text = string ? text_of(m->value) : std::string_view{};
        char* at = out.room(1 + quoted_bound(name) + 1 + (string ? quoted_bound(text) : 0));
        if (m != begin) {
          *at++ = ',';
        }
        at = put_quoted(at, name);
        *at++ = ':';
        if (string) {
          out.done(put_quoted(at, text));
          continue;
        }
        out.done(at);
        if (!write_json(m->value, out)) {
          return false;
        }
      }
      out.put('}');
      return true;
    }
    case rapidjson::kArrayType: {
      out.put('[');
      const auto begin = v.Begin();
      const auto end = v.End();
      for (auto it = begin; it != end; ++it) {
        if (it->IsString()) {
          const std::string_view text = text_of(*it);
          char* at = out.room(1 + quoted_bound(text));
          if (it != begin) {
            *at++ = ',';
          }
          out.done(put_quoted(at, text));
          continue;
        }
        if (it != begin) {
          out.put(',');
        }
        if (!write_json(*it, out)) {
          return false;
        }
      }
      out.put(']');
      return true;
    }
  }
  return false;
}

}  // namespace gw::adapters::emis::detail
