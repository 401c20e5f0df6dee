// The EMIS XML adapter's JSON writer: each resource written once, straight into its string, in
// the bytes RapidJSON's compact writer would give (no document, no second copy).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/fhir/json.hpp"

namespace gw::adapters::emis::detail {

/**
 * ResourceWriter: one resource's JSON written straight into its string, so the code that writes
 * a resource reads like its JSON. The bytes are those RapidJSON's compact writer gives
 * (tests/unit/adapters/emis/resource_writer_test.cpp compares them): no white space; '"', '\\'
 * and control characters escaped as RapidJSON escapes them; other bytes (UTF-8) as they are.
 * Keys and values are written in the order given; the caller keeps objects and arrays balanced.
 * One per resource; not thread-safe.
 */
class ResourceWriter {
public:
  ResourceWriter() : buf_(std::make_unique_for_overwrite<char[]>(kStartBytes)), cap_(kStartBytes) {}
  ResourceWriter& open() { return punctuation('{', true); }
  ResourceWriter& close() { return punctuation('}', false); }
  /** key: a member name. `k` is one of the adapter's own element names (letters only, never
   *  data), so it is copied as it is, not escaped; inlined where it is called, where it is a
   *  literal, so the copy is a few stores. */
  [[gnu::always_inline]] ResourceWriter& key(std::string_view k) {
    ensure(k.size() + 4);
    char* out = comma(buf_.get() + len_);
    *out++ = '"';
    std::memcpy(out, k.data(), k.size());
    out += k.size();
    out[0] = '"';
    out[1] = ':';
    len_ = static_cast<std::size_t>(out + 2 - buf_.get());
    after_key_ = true;
    return *this;
  }
  ResourceWriter& str(std::string_view v) { return str2(v, {}); }
  /** str2: the string a + b, written without making it first. */
  ResourceWriter& str2(std::string_view a, std::string_view b) {
    ensure(bound(a.size() + b.size()));
    char* out = value(buf_.get() + len_);
    *out++ = '"';
    out = copy(copy(out, a), b);
    *out++ = '"';
    len_ = static_cast<std::size_t>(out - buf_.get());
    return *this;
  }
  ResourceWriter& kv(std::string_view k, std::string_view v) { return key(k).str(v); }
  /** opt: kv only when v is not empty. */
  ResourceWriter& opt(std::string_view k, std::string_view v) {
    return v.empty() ? *this : kv(k, v);
  }
  ResourceWriter& num(std::string_view k, std::string_view decimal) {
    key(k);
    ensure(decimal.size() + 1);
    char* out = value(buf_.get() + len_);
    // The parser checked `decimal` against FHIR's decimal syntax, which is JSON number syntax,
    // so it is written as it came (a number, not a string). Within the parser's 32 characters
    // only an exponent can take it beyond a double, which a JSON reader then refuses.
    std::memcpy(out, decimal.data(), decimal.size());
    len_ = static_cast<std::size_t>(out + decimal.size() - buf_.get());
    if (decimal.find_first_of("eE") != std::string_view::npos && !fhir::parse_json(decimal)) {
      bad_number_ = true;
    }
    return *this;
  }
  ResourceWriter& arr(std::string_view k) { return key(k).punctuation('[', true); }
  ResourceWriter& end_arr() { return punctuation(']', false); }
  ResourceWriter& obj(std::string_view k) { return key(k).open(); }
  /** ref: {"reference": "<type>/<id>"} under key k. */
  ResourceWriter& ref(std::string_view k, std::string_view type, std::string_view id) {
    obj(k).key("reference");
    ensure(bound(type.size() + id.size() + 1));
    char* out = value(buf_.get() + len_);
    *out++ = '"';
    out = copy(out, type);
    *out++ = '/';
    out = copy(out, id);
    *out++ = '"';
    len_ = static_cast<std::size_t>(out - buf_.get());
    return close();
  }
  /** coding_concept: {"coding": [{system, code, display}], "text"} under key k. */
  ResourceWriter& concept_of(std::string_view k, std::string_view system, std::string_view code,
                             std::string_view display) {
    obj(k).arr("coding").open().kv("system", system).kv("code", code);
    opt("display", display);
    close().end_arr();
    return close();
  }
  /** take: the JSON written. */
  [[nodiscard]] std::string take() const { return {buf_.get(), len_}; }
  /** bad_number: whether a number was written that JSON cannot hold as a double. */
  [[nodiscard]] bool bad_number() const { return bad_number_; }

private:
  static constexpr std::size_t kStartBytes = 2048;  // a resource is 0.5-2 KB: few regrowths
  static constexpr std::size_t kLong = 16;          // copied eight bytes at a time from here

  /** bound: the most bytes a quoted string of n bytes takes (every byte as \u00XX), with a
   *  separator before it. */
  static std::size_t bound(std::size_t n) { return 6 * n + 3; }

  /** ensure: room for n more bytes; each writing step asks first, then writes freely. */
  void ensure(std::size_t n) {
    if (cap_ - len_ < n) {
      grow(n);
    }
  }
  void grow(std::size_t n);

  /** punctuation: '{' / '[' (a value: opens a level) or '}' / ']' (closes one). */
  ResourceWriter& punctuation(char c, bool opens) {
    ensure(2);
    char* out = buf_.get() + len_;
    if (opens) {
      out = value(out);
      *out++ = c;
      ++depth_;
      items_ &= ~bit(depth_);
    } else {
      *out++ = c;
      --depth_;
    }
    len_ = static_cast<std::size_t>(out - buf_.get());
    return *this;
  }

  /** value: what comes before a value at `out`: nothing after a key, a comma between items. */
  char* value(char* out) {
    if (after_key_) {
      after_key_ = false;
      return out;
    }
    return comma(out);
  }
  /** bit: depth d's bit in items_ (resources nest far less than 64 deep). */
  static std::uint64_t bit(unsigned d) { return std::uint64_t{1} << (d & 63U); }
  /** comma: ',' before all but the first member or item of the object or array open. */
  char* comma(char* out) {
    if (depth_ > 0) {
      const std::uint64_t b = bit(depth_);
      const bool first = (items_ & b) == 0;
      items_ |= b;
      if (!first) {
        *out++ = ',';
      }
    }
    return out;
  }

  /** copy: `s` at `out` as JSON string content, escaped as RapidJSON's writer escapes it (room
   *  for bound(s.size()) ensured); the end. Short strings (most keys and values) byte by byte
   *  here, longer ones eight bytes at a time (copy_long). */
  static char* copy(char* out, std::string_view s) {
    if (s.size() >= kLong) {
      return copy_long(out, s);
    }
    for (const char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (kEscapes[c]) {
        out = escape(out, c);
      } else {
        *out++ = ch;
      }
    }
    return out;
  }
  static char* copy_long(char* out, std::string_view s);
  static char* escape(char* out, unsigned char c);

  /** kEscapes: the bytes JSON writes escaped: control characters, '"' and '\\'. */
  static constexpr std::array<bool, 256> kEscapes = [] {
    std::array<bool, 256> t{};
    for (std::size_t c = 0; c < 0x20; ++c) {
      t[c] = true;
    }
    t['"'] = true;
    t['\\'] = true;
    return t;
  }();

  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::size_t len_ = 0;
  std::uint64_t items_ = 0;  // bit d: the object or array open at depth d has an item
  unsigned depth_ = 0;       // resources nest far less than 64 deep
  bool after_key_ = false;
  bool bad_number_ = false;
};

}  // namespace gw::adapters::emis::detail
