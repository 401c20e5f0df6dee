// Internal to the HL7 v2 adapter: the JSON writer helper and the per-message context shared by
// the Patient, Encounter/Location and result translations.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/hl7v2/message.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/ingest/adapter.hpp"
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

/** Out: a small JSON writer for the fixed shapes the translation emits: writes into one buffer
 * through a cursor (no DOM, no per-value allocation, one capacity check per token); strings are
 * escaped per RFC 8259, eight bytes at a time where nothing needs escaping. Hand-written rather
 * than RapidJSON's Writer because this is the adapter's hot path (bench/README.md,
 * "caregw-hl7v2-bench") and it needs only objects, arrays, strings, booleans and numbers. */
class Out {
public:
  Out() { buf_.resize(2048); }
  /** key: `k` is one of this adapter's own element names, never message text: not escaped. */
  void key(std::string_view k) {
    char* d = room(k.size() + 4);
    if (!comma_before_value()) {
      *d++ = ',';
    }
    *d++ = '"';
    copy_small(d, k.data(), k.size());
    d += k.size();
    *d++ = '"';
    *d++ = ':';
    n_ = static_cast<std::size_t>(d - buf_.data());
    after_key_ = true;
  }
  void str(std::string_view v) {
    comma();
    quoted(v);
  }
  void field(std::string_view k, std::string_view v) {
    key(k);
    quoted(v);
    after_key_ = false;
    need_comma_ = true;
  }
  /** field: one string value written from parts (`a` + `b` + `c`), without joining them first. */
  void field(std::string_view k, std::string_view a, std::string_view b, std::string_view c = {}) {
    key(k);
    put('"');
    for (std::string_view part : {a, b, c}) {
      quoted_part(part);
    }
    put('"');
    after_key_ = false;
    need_comma_ = true;
  }
  /** raw_field: `k` with a value of JSON text this adapter wrote itself, in parts (constant
   * fragments only, never message text: not escaped). */
  void raw_field(std::string_view k, std::string_view a, std::string_view b = {},
                 std::string_view c = {}) {
    key(k);
    put(a);
    put(b);
    put(c);
    after_key_ = false;
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
    key(k);
    comma();
    put(v ? std::string_view("true") : std::string_view("false"));
  }
  void number(std::string_view k, double v);
  void begin() { open('{'); }
  void begin(std::string_view k) {
    key(k);
    open('{');
  }
  void end() { close('}'); }
  void array(std::string_view k) {
    key(k);
    open('[');
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
  void profile(std::string_view url);
  [[nodiscard]] std::string take() {
    buf_.resize(n_);
    return std::move(buf_);
  }

private:
  /** room: a cursor with space for `k` more bytes (the buffer grows, doubling, when needed). */
  char* room(std::size_t k) {
    if (buf_.size() - n_ < k) {
      buf_.resize(std::max(buf_.size() * 2, n_ + k));
    }
    return buf_.data() + n_;
  }
  void put(char c) {
    *room(1) = c;
    ++n_;
  }
  void put(std::string_view s) {
    copy_small(room(s.size()), s.data(), s.size());
    n_ += s.size();
  }
  /** comma_before_value: the separator state for a new key or value; true when no ',' is due
   * (it follows a key or opens a container). */
  bool comma_before_value() {
    if (after_key_) {
      after_key_ = false;
      return true;
    }
    const bool first = !need_comma_;
    need_comma_ = true;
    return first;
  }
  /** comma: the separator before a value or key, unless it follows a key or opens a container. */
  void comma() {
    if (!comma_before_value()) {
      put(',');
    }
  }
  void open(char c) {
    comma();
    put(c);
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
  void quoted_part(std::string_view s);
  /** escaped: `s` escaped byte by byte (the slow path of quoted_part). */
  void escaped(std::string_view s);

  std::string buf_;
  std::size_t n_ = 0;
  bool need_comma_ = false;
  bool after_key_ = false;
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
};

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

/** located: an Error whose detail starts with the location (adapter.hpp convention). */
[[nodiscard]] Error located(const Location& at, std::string_view what);
/** at: a Location for a field of the first (or n-th) segment `seg`. */
[[nodiscard]] Location at(std::string_view seg, int field, int component = 0, int occurrence = 1,
                          int repetition = 1);

/** fhir_id: `prefix` + the value with characters FHIR ids may not hold replaced by '-',
 * at most 64 characters (FHIR id rules). */
[[nodiscard]] std::string fhir_id(std::string_view prefix, std::string_view value);

/** datetime: an HL7 date/time field as FHIR; "" if not sent; kUnprocessable "bad date". */
[[nodiscard]] Result<std::string> datetime(const Ctx& c, const Segment& s, int field,
                                           std::string_view seg_name, int occurrence = 1,
                                           int component = 1);

/** value_location: the element the mapping's value map `map` names (e.g. "PV1-36"), if it reads
 * as a location, else `fallback`. Lets a trust's override say where its PAS puts a code. */
[[nodiscard]] Location value_location(const Ctx& c, std::string_view map, Location fallback);

/** read_at: the decoded value at a location (occurrence, field, repetition, component). */
[[nodiscard]] std::string read_at(const Message& m, const Location& l);

/** practitioner_system: the identifier system of an XCN's assigning authority (XCN-9): a
 * constant for the UK Core ones, else the sender's own system, built in `scratch`. */
[[nodiscard]] std::string_view practitioner_system(const Ctx& c, std::string_view authority,
                                                   std::string& scratch);
/** person_name: an XCN/XPN written for display: "Dr Samuel Darwin". */
[[nodiscard]] std::string xcn_display(const Message& m, const Components& xcn);

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
