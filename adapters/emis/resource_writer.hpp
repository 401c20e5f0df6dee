// The EMIS adapter's JSON writing: each resource's JSON written once, straight into one buffer,
// in the bytes RapidJSON's compact writer would give: ResourceWriter for the EMIS XML adapter,
// which writes a resource from the extract's fields, and write_json for GP Connect's converted
// documents.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gateway/fhir/json.hpp"

namespace gw::adapters::emis::detail {

/**
 * JsonOut: the buffer a resource's JSON is written into, through a raw pointer: room(n) says
 * where the next n bytes go (growing the buffer when it must), done(end) keeps what was written
 * up to `end`. Never zeroed; clear() keeps the memory for the next resource.
 */
class JsonOut {
public:
  /** The thread's spare buffer when there is one (the last JsonOut's on this thread), else a new
   *  one: a message writes hundreds of resources, one JsonOut each, and a buffer of this size is
   *  past the allocator's per-thread cache. */
  JsonOut();
  /** Leaves the buffer as the thread's spare (unless it has a bigger one, or this one is larger
   *  than kSpareMostBytes). */
  ~JsonOut();
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;
  /** room: where n more bytes go; valid until the next room(). */
  [[gnu::always_inline]] char* room(std::size_t n) {
    if (cap_ - len_ < n) {
      grow(n);
    }
    return buf_.get() + len_;
  }
  /** done: the bytes from room() up to `end` are written. */
  void done(const char* end) { len_ = static_cast<std::size_t>(end - buf_.get()); }
  /** put: one byte. */
  void put(char c) {
    *room(1) = c;
    ++len_;
  }
  /** put: bytes as they are. */
  void put(std::string_view s) {
    std::memcpy(room(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  [[nodiscard]] std::string_view view() const { return {buf_.get(), len_}; }
  /** capacity: the bytes the buffer holds before it must grow. */
  [[nodiscard]] std::size_t capacity() const { return cap_; }
  void clear() { len_ = 0; }

private:
  static constexpr std::size_t kStartBytes = 2048;  // a resource is 0.5-2 KB: few regrowths
  static constexpr std::size_t kSpareMostBytes = std::size_t{256} * 1024;
  void grow(std::size_t n);

  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::size_t len_ = 0;
};

/** kJsonEscapes: the bytes JSON writes escaped: control characters, '"' and '\\'. */
inline constexpr std::array<bool, 256> kJsonEscapes = [] {
  std::array<bool, 256> t{};
  for (std::size_t c = 0; c < 0x20; ++c) {
    t[c] = true;
  }
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

/** json_chars_bound: the most bytes n bytes of string content take written (each as \u00XX). */
constexpr std::size_t json_chars_bound(std::size_t n) { return 6 * n; }

/** put_json_chars_from: put_json_chars for s from byte i on, byte by byte (the path of strings
 *  with a byte to escape, and of the shortest ones). */
char* put_json_chars_from(char* out, std::string_view s, std::size_t i);

#if defined(__SSE2__)
/** escapes_in: whether any of the 16 bytes of `block` is one JSON escapes. */
[[gnu::always_inline]] inline bool escapes_in(__m128i block) {
  const __m128i control_max = _mm_set1_epi8(0x1F);
  // A byte is a control character when max(byte, 0x1F) is 0x1F (unsigned).
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(block, control_max), control_max);
  const __m128i special =
      _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')),
                                         _mm_cmpeq_epi8(block, _mm_set1_epi8('\\'))));
  return _mm_movemask_epi8(special) != 0;
}
#endif

/**
 * put_json_chars: `s` at `out` as JSON string content, escaped as RapidJSON's writer escapes it
 * (room for json_chars_bound(s.size()) ensured); the end. One pass that copies as it checks:
 * 16-byte blocks, the last one overlapping the one before; 4 to 16 bytes as two overlapping
 * words checked at once; never a byte read outside `s`. From the first block with a byte to
 * escape on, byte by byte.
 */
[[gnu::always_inline]] inline char* put_json_chars(char* out, std::string_view s) {
#if defined(__SSE2__)
  const char* in = s.data();
  const std::size_t n = s.size();
  if (n >= 16) {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
      if (escapes_in(block)) {
        return put_json_chars_from(out + i, s, i);
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), block);
    }
    if (i < n) {  // the last bytes, in a block that ends with them
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + n - 16));
      if (escapes_in(block)) {
        return put_json_chars_from(out + i, s, i);
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + n - 16), block);
    }
    return out + n;
  }
  if (n >= 8) {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::memcpy(&head, in, 8);
    std::memcpy(&tail, in + n - 8, 8);
    if (escapes_in(_mm_set_epi64x(static_cast<long long>(tail), static_cast<long long>(head)))) {
      return put_json_chars_from(out, s, 0);
    }
    std::memcpy(out, &head, 8);
    std::memcpy(out + n - 8, &tail, 8);
    return out + n;
  }
  if (n >= 4) {
    std::uint32_t head = 0;
    std::uint32_t tail = 0;
    std::memcpy(&head, in, 4);
    std::memcpy(&tail, in + n - 4, 4);
    const std::uint64_t both = head | (std::uint64_t{tail} << 32);
    if (escapes_in(_mm_set1_epi64x(static_cast<long long>(both)))) {
      return put_json_chars_from(out, s, 0);
    }
    std::memcpy(out, &head, 4);
    std::memcpy(out + n - 4, &tail, 4);
    return out + n;
  }
#endif
  return put_json_chars_from(out, s, 0);
}

/**
 * write_json: `v` as compact JSON onto `out`, the bytes RapidJSON's writer gives for it (its
 * number formatting, its escapes, UTF-8 copied as is), without the writer's per-value
 * bookkeeping. False for what that writer refuses, a NaN or an infinity (which a parsed or
 * converted document does not hold), with `out` holding what it would have written until then.
 */
bool write_json(const rapidjson::Value& v, JsonOut& out);

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
  ResourceWriter& open() { return punctuation('{', true); }
  ResourceWriter& close() { return punctuation('}', false); }
  /** key: a member name. `k` is one of the adapter's own element names (letters only, never
   *  data), so it is copied as it is, not escaped; inlined where it is called, where it is a
   *  literal, so the copy is a few stores. */
  [[gnu::always_inline]] ResourceWriter& key(std::string_view k) {
    char* out = comma(out_.room(k.size() + 4));
    *out++ = '"';
    std::memcpy(out, k.data(), k.size());
    out += k.size();
    out[0] = '"';
    out[1] = ':';
    out_.done(out + 2);
    after_key_ = true;
    return *this;
  }
  ResourceWriter& str(std::string_view v) { return str2(v, {}); }
  /** str2: the string a + b, written without making it first. */
  ResourceWriter& str2(std::string_view a, std::string_view b) {
    char* out = value(out_.room(bound(a.size() + b.size())));
    *out++ = '"';
    out = put_json_chars(put_json_chars(out, a), b);
    *out++ = '"';
    out_.done(out);
    return *this;
  }
  /** kv: key(k) then str(v); inlined where it is called, so the key's copy is as key() says. */
  [[gnu::always_inline]] ResourceWriter& kv(std::string_view k, std::string_view v) {
    return key(k).str(v);
  }
  /** opt: kv only when v is not empty. */
  ResourceWriter& opt(std::string_view k, std::string_view v) {
    return v.empty() ? *this : kv(k, v);
  }
  ResourceWriter& num(std::string_view k, std::string_view decimal) {
    key(k);
    char* out = value(out_.room(decimal.size() + 1));
    // The parser checked `decimal` against FHIR's decimal syntax, which is JSON number syntax,
    // so it is written as it came (a number, not a string). Within the parser's 32 characters
    // only an exponent can take it beyond a double, which a JSON reader then refuses.
    std::memcpy(out, decimal.data(), decimal.size());
    out_.done(out + decimal.size());
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
    char* out = value(out_.room(bound(type.size() + id.size() + 1)));
    *out++ = '"';
    out = put_json_chars(out, type);
    *out++ = '/';
    out = put_json_chars(out, id);
    *out++ = '"';
    out_.done(out);
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
  [[nodiscard]] std::string take() const { return std::string(out_.view()); }
  /** bad_number: whether a number was written that JSON cannot hold as a double. */
  [[nodiscard]] bool bad_number() const { return bad_number_; }

private:
  /** bound: the most bytes a quoted string of n bytes takes (every byte as \u00XX), with a
   *  separator before it. */
  static std::size_t bound(std::size_t n) { return json_chars_bound(n) + 3; }

  /** punctuation: '{' / '[' (a value: opens a level) or '}' / ']' (closes one). */
  ResourceWriter& punctuation(char c, bool opens) {
    char* out = out_.room(2);
    if (opens) {
      out = value(out);
      *out++ = c;
      ++depth_;
      items_ &= ~bit(depth_);
    } else {
      *out++ = c;
      --depth_;
    }
    out_.done(out);
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

  JsonOut out_;
  std::uint64_t items_ = 0;  // bit d: the object or array open at depth d has an item
  unsigned depth_ = 0;       // resources nest far less than 64 deep
  bool after_key_ = false;
  bool bad_number_ = false;
};

}  // namespace gw::adapters::emis::detail
