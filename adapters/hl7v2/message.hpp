// HL7 v2 (2.3 to 2.5.1, as UK trusts send it) parsed into views over the caller's buffer: the
// delimiters from MSH-1/MSH-2, segments split on CR, LF or CRLF, fields split once; repetitions,
// components and sub-components found on demand; escape sequences decoded only when asked.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/cat.hpp"
#include "gateway/core/error.hpp"

namespace gw::adapters::hl7v2 {

/** Delimiters: the message's separators, from MSH-1 and MSH-2 (defaults as HL7 recommends). */
struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

/** ParseLimits: bounds that keep hostile input cheap to refuse. */
struct ParseLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // 1 MiB: far above any ADT or ORU we expect
  std::size_t max_segments = 2000;
  std::size_t max_fields = 500;  // per segment
};

/**
 * Location: a place in a message, written "SEG-F", "SEG-F.C", "SEG-F.C.S", with "[n]" after the
 * segment id for its n-th occurrence (n > 1) and "(r)" after the field for repetition r > 1,
 * e.g. "OBX[2]-5" or "PID-3(2).1". Numbers are 1-based; 0 means "not narrowed down".
 */
struct Location {
  std::string segment;  // "PID"; empty: the message as a whole
  int occurrence = 1;   // n-th segment with this id
  int field = 0;
  int repetition = 1;
  int component = 0;
  int subcomponent = 0;

  /** str: the written form, e.g. "PID-3(2).1". */
  [[nodiscard]] std::string str() const;
  /** parse: reads the written form back (the start of an error detail); false if it is not one. */
  [[nodiscard]] static bool parse(std::string_view text, Location& out);
};

/** is_null: whether a raw value is HL7's explicit null (""). */
[[nodiscard]] inline bool is_null(std::string_view raw) { return raw == "\"\""; }

/** Presence: HL7's three states of a value: not sent, sent as null ("" = delete), sent. */
enum class Presence : std::uint8_t { kAbsent, kNull, kPresent };

/** Segment: one segment's id and fields (views into the message buffer). */
struct Segment {
  std::string_view id;
  std::size_t first_field = 0;  // index into Message's field table; field 0 is the id
  std::size_t field_count = 0;  // including field 0
};

/**
 * Components: the components of one repetition of a field, raw, found in one scan (a caller
 * that reads several components of one field, e.g. a name or an address, scans it once rather
 * than once per component). Views into the message buffer.
 */
class Components {
public:
  /** kMax: components kept; later ones (none of the types read here has them) are not. */
  static constexpr int kMax = 16;

  /** raw: component `comp`, sub-component `sub` (1-based), exactly as Message::raw gives it. */
  [[nodiscard]] std::string_view raw(int comp, int sub = 1) const;

  /** Part: one component (a view, kept as a pointer and a size so that a Components is not
   * cleared before every scan: only the first count_ are ever set or read). */
  struct Part {
    const char* data;
    std::uint32_t size;
  };

private:
  friend class Message;
  std::array<Part, kMax> part_;
  int count_ = 0;
  char subcomponent_ = '&';
  bool whole_ = false;    // MSH-1 / MSH-2: the separators themselves, never split
  bool has_sub_ = false;  // a sub-component separator occurs in the repetition
};

/**
 * Text: one value as get() decodes it, without a copy where decoding changes nothing: a view of
 * the message buffer for plain printable ASCII without the escape character (the common case),
 * else the decoded text, held here. view() stays valid while the Text (and the buffer) lives,
 * also after a move.
 */
class Text {
public:
  Text() = default;
  /** Text: a view of text that needs no decoding. */
  explicit Text(std::string_view plain) : view_(plain) {}
  /** Text: text decoded into its own string. */
  explicit Text(std::string&& decoded) : own_(std::move(decoded)), owned_(true) {}

  [[nodiscard]] std::string_view view() const { return owned_ ? std::string_view(own_) : view_; }
  [[nodiscard]] bool empty() const { return view().empty(); }
  /** str: a copy as a std::string (moves the decoded text out of an rvalue). */
  [[nodiscard]] std::string str() const& { return std::string(view()); }
  [[nodiscard]] std::string str() && { return owned_ ? std::move(own_) : std::string(view_); }

private:
  std::string_view view_;
  std::string own_;
  bool owned_ = false;
};

/**
 * Message: one parsed HL7 v2 message. Holds views into the text it was parsed from, which must
 * outlive it. Thread safety: immutable after parse; const members may be called concurrently.
 */
class Message {
public:
  /**
   * parse: splits `text` into segments and fields. Tolerates CR, LF and CRLF terminators, blank
   * lines, an MLLP frame around the message and trailing whitespace. Refuses (kBadRequest, detail
   * "LOCATION: reason") input over the limits, input not starting with MSH, bad encoding
   * characters (MSH-1/MSH-2) and malformed segment ids. Z-segments are kept like any other.
   */
  [[nodiscard]] static Result<Message> parse(std::string_view text, const ParseLimits& limits = {});

  [[nodiscard]] const Delimiters& delimiters() const { return delims_; }
  [[nodiscard]] const std::vector<Segment>& segments() const { return segments_; }

  /** find: the `occurrence`-th (1-based) segment with this id, or nullptr. */
  [[nodiscard]] const Segment* find(std::string_view id, int occurrence = 1) const;
  /** count: how many segments carry this id. */
  [[nodiscard]] int count(std::string_view id) const;

  /** field: field `n` of a segment, raw (escapes not decoded); empty if not sent. MSH-1 is the
   * field separator and MSH-2 the encoding characters, as HL7 numbers them. */
  [[nodiscard]] std::string_view field(const Segment& s, int n) const;
  /** repetitions: how many repetitions field `n` has (0 if empty). */
  [[nodiscard]] int repetitions(const Segment& s, int n) const;

  /**
   * raw: one value, raw: repetition `rep`, component `comp`, sub-component `sub` of field `field`
   * (all 1-based). Empty when not sent. `"\"\""` (HL7 null) is returned as sent.
   */
  [[nodiscard]] std::string_view raw(const Segment& s, int field, int rep = 1, int comp = 1,
                                     int sub = 1) const;
  /** components: repetition `rep` of field `field` split into components in one scan;
   * components(s, f, r).raw(c, sub) == raw(s, f, r, c, sub) for every c <= Components::kMax. */
  [[nodiscard]] Components components(const Segment& s, int field, int rep = 1) const;
  /** raw: as above for the first segment with id `seg`. */
  [[nodiscard]] std::string_view raw(std::string_view seg, int field, int rep = 1, int comp = 1,
                                     int sub = 1) const;

  /**
   * get: one value with escape sequences decoded (\F\ \S\ \T\ \R\ \E\ \Xhh..\ \.br\ as a line
   * break; highlighting dropped) and as UTF-8 (Latin-1 bytes are converted). HL7 null ("") gives
   * an empty string: use presence() to tell it from a value not sent.
   */
  [[nodiscard]] std::string get(std::string_view seg, int field, int rep = 1, int comp = 1,
                                int sub = 1) const;
  [[nodiscard]] std::string get(const Segment& s, int field, int rep = 1, int comp = 1,
                                int sub = 1) const;

  /** presence: whether the value was sent, sent as HL7 null, or not sent. */
  [[nodiscard]] Presence presence(const Segment& s, int field, int rep = 1, int comp = 1,
                                  int sub = 1) const;

  /** text: a raw value (from raw() or Components, not MSH-1/MSH-2) as get() gives it: HL7 null
   * as "", escapes decoded. */
  [[nodiscard]] std::string text(std::string_view raw) const {
    return is_null(raw) ? std::string{} : decode(raw);
  }

  /** value: text() without copying: the raw value itself when decoding would not change it. */
  [[nodiscard]] Text value(std::string_view raw) const;

  /** decode: decodes escape sequences of a raw value of this message (see get()). */
  [[nodiscard]] std::string decode(std::string_view raw) const;

private:
  Delimiters delims_{};
  std::vector<Segment> segments_;
  std::vector<std::string_view> fields_;
  const char* end_ = nullptr;  // the end of the text parsed (scans may read up to it)
};

/** escape: text made safe for one value: the delimiters as HL7 escape sequences (\F\ \S\ \T\
 * \R\ \E\), line breaks as \.br\, other control characters dropped. */
[[nodiscard]] std::string escape(std::string_view text, const Delimiters& d = {});

/**
 * split: the n-th (1-based) piece of `text` between `sep` characters; empty past the end.
 * Escaped separators never occur raw (HL7 escapes them), so a plain scan is exact.
 */
[[nodiscard]] std::string_view split(std::string_view text, char sep, int n);

inline std::string_view Components::raw(int comp, int sub) const {
  if (whole_) {
    return {part_[0].data, part_[0].size};
  }
  if (comp < 1 || comp > count_ || sub < 1) {
    return {};
  }
  const Part& p = part_[static_cast<std::size_t>(comp - 1)];
  const std::string_view v(p.data, p.size);
  if (!has_sub_) {
    return sub == 1 ? v : std::string_view{};  // what split() gives without a separator
  }
  return split(v, subcomponent_, sub);
}

/**
 * to_fhir_datetime: an HL7 DTM/TS ("YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]", TS's "^precision"
 * ignored) as a FHIR date or dateTime: up to the day a date ("2010-10-10", "2010-10", "2010");
 * with a time, a dateTime with seconds and an offset: the sender's offset if sent, else UK local
 * time (GMT, or BST between the last Sundays of March and October at 01:00 UTC), since FHIR
 * requires a zone once there is a time. False for text that is not a calendar date/time.
 */
[[nodiscard]] bool to_fhir_datetime(std::string_view hl7, std::string& out);

/**
 * to_time_point: an HL7 DTM/TS with at least a time of day (as to_fhir_datetime reads it: the
 * sender's offset, else UK local time) as a UTC time point. False for a date alone, bad text,
 * or a year outside 1678-2261 (a system_clock time point cannot hold it).
 */
[[nodiscard]] bool to_time_point(std::string_view hl7, std::chrono::system_clock::time_point& out);

/** hl7_time: a FHIR date/dateTime/instant as HL7 DTM ("2010-10-10T14:00:00+01:00" ->
 * "20101010140000+0100"; fractions of a second are not carried). */
[[nodiscard]] std::string hl7_time(std::string_view fhir_time);

}  // namespace gw::adapters::hl7v2
