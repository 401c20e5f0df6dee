// The EMIS XML adapter's JSON writer: each resource written once, straight into its string, in
// the bytes RapidJSON's compact writer would give (no document, no second copy).
#pragma once

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
  ResourceWriter() : buf_(std::make_unique<char[]>(kStartBytes)), cap_(kStartBytes) {}
  ResourceWriter& open() {
    ensure(2);
    value();
    put('{');
    push();
    return *this;
  }
  ResourceWriter& close() {
    ensure(1);
    put('}');
    --depth_;
    return *this;
  }
  ResourceWriter& key(std::string_view k) {
    ensure(bound(k.size()) + 2);
    separate();
    quoted(k);
    put(':');
    after_key_ = true;
    return *this;
  }
  ResourceWriter& str(std::string_view v) {
    ensure(bound(v.size()) + 1);
    value();
    quoted(v);
    return *this;
  }
  /** str2: the string a + b, written without making it first. */
  ResourceWriter& str2(std::string_view a, std::string_view b) {
    ensure(bound(a.size() + b.size()) + 1);
    value();
    put('"');
    escaped(a);
    escaped(b);
    put('"');
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
    value();
    // The parser checked `decimal` against FHIR's decimal syntax, which is JSON number syntax,
    // so it is written as it came (a number, not a string). Within the parser's 32 characters
    // only an exponent can take it beyond a double, which a JSON reader then refuses.
    raw(decimal);
    if (decimal.find_first_of("eE") != std::string_view::npos && !fhir::parse_json(decimal)) {
      bad_number_ = true;
    }
    return *this;
  }
  ResourceWriter& arr(std::string_view k) {
    key(k);
    ensure(2);
    value();
    put('[');
    push();
    return *this;
  }
  ResourceWriter& end_arr() {
    ensure(1);
    put(']');
    --depth_;
    return *this;
  }
  ResourceWriter& obj(std::string_view k) {
    key(k);
    return open();
  }
  /** ref: {"reference": "<type>/<id>"} under key k. */
  ResourceWriter& ref(std::string_view k, std::string_view type, std::string_view id) {
    obj(k).key("reference");
    ensure(bound(type.size() + id.size() + 1) + 2);
    value();
    put('"');
    escaped(type);
    put('/');
    escaped(id);
    put('"');
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

  /** bound: the most bytes a quoted string of n bytes takes (every byte as \u00XX) and a
   *  separator. */
  static std::size_t bound(std::size_t n) { return 6 * n + 3; }

  /** ensure: room for n more bytes; each writing step asks first, so put/raw need not. */
  void ensure(std::size_t n) {
    if (cap_ - len_ < n) {
      grow(n);
    }
  }
  void grow(std::size_t n);
  void put(char c) { buf_[len_++] = c; }
  void raw(std::string_view s) {
    std::memcpy(buf_.get() + len_, s.data(), s.size());
    len_ += s.size();
  }

  /** value: what comes before a value: nothing after a key, a comma between array items. */
  void value() {
    if (after_key_) {
      after_key_ = false;
    } else {
      separate();
    }
  }
  void separate() {
    const std::uint64_t bit = std::uint64_t{1} << depth_;
    if (depth_ > 0) {
      if ((items_ & bit) != 0) {
        put(',');
      }
      items_ |= bit;
    }
  }
  void push() {
    ++depth_;
    items_ &= ~(std::uint64_t{1} << depth_);
  }
  void quoted(std::string_view s) {
    put('"');
    escaped(s);
    put('"');
  }

  /** escaped: `s` as JSON string content, escaped as RapidJSON's writer escapes it (room for
   *  bound(s.size()) bytes ensured). */
  void escaped(std::string_view s);
  void escape(unsigned char c);

  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::size_t len_ = 0;
  std::uint64_t items_ = 0;  // bit d: the object or array open at depth d has an item
  unsigned depth_ = 0;       // resources nest far less than 64 deep
  bool after_key_ = false;
  bool bad_number_ = false;
};

}  // namespace gw::adapters::emis::detail
