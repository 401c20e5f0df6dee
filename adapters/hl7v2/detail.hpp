// Internal to the HL7 v2 adapter: the JSON writer helper and the per-message context shared by
// the Patient, Encounter/Location and result translations.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "adapters/hl7v2/blocks.hpp"
#include "adapters/hl7v2/message.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/ingest/adapter.hpp"
#include "gateway/mapping/mapping_set.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::adapters::hl7v2::detail {

/** copy_small: memcpy for the short runs the JSON writer copies (keys, codes, names): up to 16
 * bytes with two overlapping fixed-size moves (no library call), longer runs by memcpy. Reads
 * and writes only [s, s + n) and [d, d + n). */
inline void copy_small(char* d, const char* s, std::size_t n) {
  if (n >= 8 && n <= 16) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, s, 8);
    std::memcpy(&b, s + n - 8, 8);
    std::memcpy(d, &a, 8);
    std::memcpy(d + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::memcpy(&a, s, 4);
    std::memcpy(&b, s + n - 4, 4);
    std::memcpy(d, &a, 4);
    std::memcpy(d + n - 4, &b, 4);
  } else if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) {
      d[i] = s[i];
    }
  } else {
    std::memcpy(d, s, n);
  }
}

/** needs_json_escape: whether byte `c` must be escaped in a JSON string (RFC 8259: controls,
 * '"' and '\\'). */
constexpr bool needs_json_escape(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
}

/** not_json_clean: called only where a Lit would need escaping, so such a Lit does not compile. */
void not_json_clean();  // NOLINT(readability-identifier-naming): declared, never defined

/**
 * Lit: text this adapter writes as it stands (its own element values and URLs, never message
 * text), checked when the program is compiled to need no JSON escaping, so the writer copies it
 * without looking at it. Built only from constants (consteval).
 */
class Lit {
public:
  // NOLINTNEXTLINE(google-explicit-constructor): a constant reads as a Lit where one is asked for
  consteval Lit(std::string_view s) : v_(s) {
    for (char c : s) {
      if (needs_json_escape(c)) {
        not_json_clean();
      }
    }
  }
  template <std::size_t N>
  // NOLINTNEXTLINE(google-explicit-constructor): as above, for string literals
  consteval Lit(const char (&s)[N]) : Lit(std::string_view(s, N - 1)) {}
  [[nodiscard]] constexpr std::string_view view() const { return v_; }

private:
  std::string_view v_;
};

/** any_json_escape: whether any byte of the word `w` (a T of 4 or 8 bytes) needs escaping: a
 * byte below 0x20, '"' or '\\' (the "has a byte less than n / equal to c" bit tricks, exact for
 * n <= 128). */
template <class T>
constexpr bool any_json_escape(T w) {
  constexpr T kOnes = static_cast<T>(0x0101010101010101ULL);
  constexpr T kHigh = static_cast<T>(0x8080808080808080ULL);
  const auto zero_byte = [](T v) { return static_cast<T>((v - kOnes) & ~v & kHigh); };
  const T below = static_cast<T>((w - kOnes * 0x20) & ~w & kHigh);
  return (below | zero_byte(w ^ (kOnes * '"')) | zero_byte(w ^ (kOnes * '\\'))) != 0;
}

/**
 * json_clean: whether none of the bytes of `s` needs JSON escaping, checked four, eight or (with
 * SSE2) sixteen at a time, the last word overlapping the one before so nothing is read outside
 * `s`.
 */
inline bool json_clean(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
#if defined(__SSE2__)
  if (n >= 16) {
    const auto dirty = [](const char* at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);  // <= 0x1F
      const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
      const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
      return _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) != 0;
    };
    return blocks_clean(p, n, dirty);
  }
#endif
  if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) {
      if (needs_json_escape(p[i])) {
        return false;
      }
    }
    return true;
  }
  if (n < 8) {
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return !any_json_escape(a) && !any_json_escape(b);
  }
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, 8);
    if (any_json_escape(w)) {
      return false;
    }
  }
  std::uint64_t w = 0;
  std::memcpy(&w, p + n - 8, 8);
  return i == n || !any_json_escape(w);
}

/** Out: a small JSON writer for the fixed shapes the translation emits: writes into one buffer
 * through a cursor (no DOM, no per-value allocation, one capacity check per token); strings are
 * escaped per RFC 8259, eight bytes at a time where nothing needs escaping, and constants (Lit)
 * and values already checked (Text) are copied as they are. Hand-written rather than
 * RapidJSON's Writer because this is the adapter's hot path (bench/README.md,
 * "caregw-hl7v2-bench") and it needs only objects, arrays, strings, booleans and numbers. */
class Out {
public:
  Out() : Out(2048) {}
  /** Out: with room for `capacity` bytes before the buffer first grows. */
  explicit Out(std::size_t capacity) {
    buf_.resize(capacity);
    cur_ = buf_.data();
    end_ = cur_ + buf_.size();
  }
  Out(const Out&) = delete;
  Out& operator=(const Out&) = delete;
  ~Out() = default;

  /** key: `k` is one of this adapter's own element names, never message text: not escaped. */
  void key(std::string_view k) {
    char* d = room(k.size() + 4);
    d = put_key(d, k);
    cur_ = d;
  }
  void str(std::string_view v) {
    char* d = room(v.size() + 3);
    if (need_comma_) {
      *d++ = ',';
    }
    cur_ = d;
    quoted(v);
    need_comma_ = true;
  }
  void field(std::string_view k, std::string_view v) {
    // One capacity check for the key and the value when it needs no escaping (most do).
    char* d = room(k.size() + v.size() + 6);
    d = put_key(d, k);
    *d++ = '"';
    if (json_clean(v)) {
      copy_small(d, v.data(), v.size());
      d += v.size();
      *d++ = '"';
      cur_ = d;
    } else {
      cur_ = d;
      escaped(v);
      put('"');
    }
    need_comma_ = true;
  }
  /** constant: a field whose value is a constant (copied without an escaping check). */
  void constant(std::string_view k, Lit v) { raw_field(k, "\"", v.view(), "\""); }
  /** field: one string value written from parts, without joining them first. */
  void field(std::string_view k, std::initializer_list<std::string_view> parts) {
    field(k, std::span<const std::string_view>(parts.begin(), parts.size()));
  }
  void field(std::string_view k, std::span<const std::string_view> parts) {
    key(k);
    put('"');
    for (std::string_view part : parts) {
      quoted_part(part);
    }
    put('"');
    need_comma_ = true;
  }
  /** raw_field: `k` with a value of JSON text this adapter wrote itself, in parts (constant
   * fragments only, never message text: not escaped). */
  void raw_field(std::string_view k, std::string_view a, std::string_view b = {},
                 std::string_view c = {}) {
    char* d = room(k.size() + a.size() + b.size() + c.size() + 4);
    d = put_key(d, k);
    for (std::string_view part : {a, b, c}) {
      copy_small(d, part.data(), part.size());
      d += part.size();
    }
    cur_ = d;
    need_comma_ = true;
  }
  /** ods_identifier: {"identifier":{"system": the ODS system, "value": `ods`}} under `k`. */
  void ods_identifier(std::string_view k, std::string_view ods);
  /** opt: the field only when `v` is not empty. */
  void opt(std::string_view k, std::string_view v) {
    if (!v.empty()) {
      field(k, v);
    }
  }
  void boolean(std::string_view k, bool v) {
    raw_field(k, v ? std::string_view("true") : std::string_view("false"));
  }
  void number(std::string_view k, double v);
  void begin() { open('{'); }
  void begin(std::string_view k) {
    char* d = room(k.size() + 5);
    d = put_key(d, k);
    *d++ = '{';
    cur_ = d;
  }
  void end() { close('}'); }
  void array(std::string_view k) {
    char* d = room(k.size() + 5);
    d = put_key(d, k);
    *d++ = '[';
    cur_ = d;
  }
  void end_array() { close(']'); }
  /** coding: {"system","code","display"} (empty parts left out). */
  void coding(std::string_view system, std::string_view code, std::string_view display);
  /** concept: a CodeableConcept of one coding, under key `k`. */
  void concept_of(std::string_view k, std::string_view system, std::string_view code,
                  std::string_view display);
  /** reference: {"reference": type + "/" + id} under key `k`, with a display if given. */
  void reference(std::string_view k, std::string_view type, std::string_view id,
                 std::string_view display);
  /** profile: meta.profile with one profile. */
  void profile(Lit url);
  [[nodiscard]] std::string take() {
    buf_.resize(static_cast<std::size_t>(cur_ - buf_.data()));
    return std::move(buf_);
  }

private:
  /** room: a cursor with space for `k` more bytes (the buffer grows, doubling, when needed). */
  char* room(std::size_t k) {
    if (static_cast<std::size_t>(end_ - cur_) < k) {
      grow(k);
    }
    return cur_;
  }
  void grow(std::size_t k);
  /** put_key: the separator the key needs, then `"k":`; `d` has room for k.size() + 4. The
   * value that follows needs no separator of its own. */
  char* put_key(char* d, std::string_view k) {
    if (need_comma_) {
      *d++ = ',';
    }
    *d++ = '"';
    copy_small(d, k.data(), k.size());
    d += k.size();
    *d++ = '"';
    *d++ = ':';
    need_comma_ = false;
    return d;
  }
  void put(char c) {
    *room(1) = c;
    ++cur_;
  }
  void put(std::string_view s) {
    copy_small(room(s.size()), s.data(), s.size());
    cur_ += s.size();
  }
  void open(char c) {
    char* d = room(2);
    if (need_comma_) {
      *d++ = ',';
    }
    *d++ = c;
    cur_ = d;
    need_comma_ = false;
  }
  void close(char c) {
    put(c);
    need_comma_ = true;
  }
  void quoted(std::string_view s) {
    put('"');
    quoted_part(s);
    put('"');
  }
  /** quoted_part: `s` escaped, without the quotes. */
  void quoted_part(std::string_view s) {
    if (json_clean(s)) {
      put(s);
    } else {
      escaped(s);
    }
  }
  /** escaped: `s` escaped byte by byte (the slow path of quoted_part). */
  void escaped(std::string_view s);

  std::string buf_;
  char* cur_ = nullptr;      // the next byte to write, in buf_
  char* end_ = nullptr;      // buf_'s end
  bool need_comma_ = false;  // a value was written at this level: the next one needs a ','
};

/** Ctx: what every part of one translation reads. */
struct Ctx {
  const Message& m;
  const OdsCode& sender;
  const mapping::Mapper& mapper;
  std::string event;       // "ADT^A01"
  std::string trigger;     // "A01"
  std::string patient_id;  // the Patient resource id
  ingest::TranslatedMessage& out;
  /** The mapping set's rules for the acute adapter, and the sender's overrides (looked up once
   * per message); null without a mapping set or without overrides for the sender. */
  const mapping::Rules* base_rules = nullptr;
  const mapping::Rules* sender_rules = nullptr;
};

/** ValueMaps: one value map as the adapter's rules and the sender's overrides define it. */
struct ValueMaps {
  const mapping::ValueMap* base = nullptr;
  const mapping::ValueMap* sender = nullptr;
  /** effective: MappingSet::value_map's answer: the sender's map if it has one, else the base. */
  [[nodiscard]] const mapping::ValueMap* effective() const {
    return sender != nullptr ? sender : base;
  }
};

/** bind_rules: sets the context's base and sender rules from the mapper's set. */
void bind_rules(Ctx& c);

/** value_maps: the value map `map` for the context's sender. */
[[nodiscard]] ValueMaps value_maps(const Ctx& c, std::string_view map);

/** has_map: whether the mappings define value map `map` for the sender. */
[[nodiscard]] inline bool has_map(const Ctx& c, std::string_view map) {
  return value_maps(c, map).effective() != nullptr;
}

/** ValueRef: a value map's answer: the set's own target coding on a hit (not copied), else the
 * native coding as it came (held in the caller's `miss`). */
struct ValueRef {
  const mapping::Coding& coding;
  bool mapped;
};

/** value: Mapper::value for the acute adapter and the sender, without copying a hit; a miss goes
 * through Mapper::value (so it is counted) and lands in `miss`, which must outlive the result. */
[[nodiscard]] ValueRef value(const Ctx& c, std::string_view map, std::string_view code,
                             std::string_view display, mapping::Mapped& miss);
/** value: as above, for maps already looked up (value_maps(c, map)). */
[[nodiscard]] ValueRef value(const Ctx& c, const ValueMaps& maps, std::string_view map,
                             std::string_view code, std::string_view display,
                             mapping::Mapped& miss);

/** located: an Error whose detail starts with the location (adapter.hpp convention). */
[[nodiscard]] Error located(const Location& at, std::string_view what);
/** at: a Location for a field of the first (or n-th) segment `seg`. */
[[nodiscard]] Location at(std::string_view seg, int field, int component = 0, int occurrence = 1,
                          int repetition = 1);

/** fhir_id: `prefix` + the value with characters FHIR ids may not hold replaced by '-',
 * at most 64 characters (FHIR id rules). */
[[nodiscard]] std::string fhir_id(std::string_view prefix, std::string_view value);
/** fhir_id: as above for a value given in parts (read one after another). */
[[nodiscard]] std::string fhir_id(std::string_view prefix, std::span<const std::string_view> parts);

/** datetime: an HL7 date/time field as FHIR; "" if not sent; kUnprocessable "bad date". */
[[nodiscard]] Result<std::string> datetime(const Ctx& c, const Segment& s, int field,
                                           std::string_view seg_name, int occurrence = 1,
                                           int component = 1);

/** value_location: the element the mapping's value map `map` names (e.g. "PV1-36"), if it reads
 * as a location, else `fallback`. Lets a trust's override say where its PAS puts a code. */
[[nodiscard]] Location value_location(const Ctx& c, std::string_view map, Location fallback);
/** value_location: as above, for maps already looked up. */
[[nodiscard]] Location value_location(const ValueMaps& maps, Location fallback);

/** read_at: the decoded value at a location (occurrence, field, repetition, component), as
 * Message::get reads it. */
[[nodiscard]] Text read_at(const Message& m, const Location& l);

/** practitioner_system: the "system" field of an XCN's identifier by its assigning authority
 * (XCN-9): a UK Core system for GMC, GMP and NMC, else the sender's own. */
void practitioner_system(Out& o, const Ctx& c, std::string_view authority);
/** xcn_display: an XCN's "display" field, "Dr Samuel Darwin" (prefix, given, family: XCN-6, -3,
 * -2), when it has any of them. */
void xcn_display(Out& o, const Message& m, const Components& xcn);

/** write_patient: the Patient resource and IncomingIdentity (patient.cpp). */
[[nodiscard]] Result<void> write_patient(Ctx& c);
/** write_visit: the Encounter and Location resources for ADT events with a visit (visit.cpp). */
[[nodiscard]] Result<void> write_visit(Ctx& c);
/** write_results: DiagnosticReport and Observations for ORU^R01 (results.cpp). */
[[nodiscard]] Result<void> write_results(Ctx& c);
/** local_mrn: the MRN among the repetitions of a CX field (PID-3, MRG-1), or "". */
[[nodiscard]] std::string local_mrn(const Ctx& c, const Segment& s, int field);

inline constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

}  // namespace gw::adapters::hl7v2::detail
