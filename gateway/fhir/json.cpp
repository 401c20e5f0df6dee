// Strict JSON parsing. The fast path reads the text with simdjson (SIMD structural scan and UTF-8
// validation) and builds the RapidJSON document from its tree, checking depth and repeated keys on
// the way; anything it is not certain of (any error, a number whose text matters) goes to the
// reference path: the SAX events of RapidJSON's iterative parser (no recursion, so deep input
// cannot exhaust the stack) checked for depth and repeated keys on their way into the document,
// which also gives every refusal its message and byte offset.
#include "gateway/fhir/json.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include "gateway/fhir/json_layout.hpp"
#include "gateway/fhir/json_reference.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gw::fhir {
namespace {

constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag |
                            rapidjson::kParseFullPrecisionFlag;
/** kAsciiFlags: for text with no byte over 0x7F, which is valid UTF-8 whatever it holds, so
 * validating the encoding byte by byte (most of a parse's time) finds nothing. */
constexpr unsigned kAsciiFlags =
    kFlags & ~static_cast<unsigned>(rapidjson::kParseValidateEncodingFlag);

/**
 * Builder: forwards SAX events into the document while checking nesting depth and repeated keys,
 * so that the input is read once and a too-deep document is refused before its tree is built.
 * Keys of small objects are checked by a linear scan of a reused buffer; large objects switch
 * to a hash set so that an object with a million keys stays linear.
 */
class Builder {
public:
  // The SAX handler's member names are RapidJSON's (its Handler concept), hence not snake_case.
  // NOLINTBEGIN(readability-identifier-naming)
  Builder(Json& doc, std::size_t max_depth) : doc_(doc), max_depth_(max_depth) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(std::int64_t i) { return doc_.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool copy) {
    return doc_.RawNumber(s, len, copy);
  }
  bool String(const char* s, rapidjson::SizeType len, bool copy) {
    return doc_.String(s, len, copy);
  }
  bool StartObject() { return push() && doc_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType len, bool copy) {
    Level& level = levels_[depth_ - 1];
    const std::string_view key(s, len);
    bool repeated = false;
    if (level.keys.size() < kLinearKeys) {
      repeated = std::find(level.keys.begin(), level.keys.end(), key) != level.keys.end();
      if (!repeated) {
        level.keys.emplace_back(key);
        if (level.keys.size() == kLinearKeys) {
          level.set.insert(level.keys.begin(), level.keys.end());
        }
      }
    } else {
      repeated = !level.set.emplace(key).second;
    }
    if (repeated) {
      problem = "key '" + std::string(key) + "' appears twice in one object";
      return false;
    }
    return doc_.Key(s, len, copy);
  }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndObject(n);
  }
  bool StartArray() { return push() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndArray(n);
  }
  // NOLINTEND(readability-identifier-naming)

  std::string problem;

private:
  static constexpr std::size_t kLinearKeys = 16;
  struct Level {
    std::vector<std::string> keys;
    std::unordered_set<std::string> set;
  };

  bool push() {
    if (depth_ >= max_depth_) {
      problem = "nesting deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    if (levels_.size() == depth_) {
      levels_.emplace_back();
    }
    levels_[depth_].keys.clear();
    levels_[depth_].set.clear();
    ++depth_;
    return true;
  }

  Json& doc_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::vector<Level> levels_;  // reused across objects at the same depth
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

int hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) {
    return -1;
  }
  int v = 0;
  for (std::size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) {
      return -1;
    }
    v = v * 16 + d;
  }
  return v;
}

/** kMaxNumberChars: longer number tokens are refused (RapidJSON 1.1's full-precision strtod
 * reads out of bounds on some numbers of hundreds of digits; FHIR decimals have at most 18
 * significant digits). */
constexpr std::size_t kMaxNumberChars = 100;

/** Hazard: input RapidJSON 1.1 mishandles, found before parsing (offset and what). */
struct Hazard {
  std::size_t at = std::string_view::npos;
  const char* what = "";
};

bool number_char(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/**
 * in_double_range: whether a number token reads as a finite double that is zero or normal
 * (not an overflow, an underflow or a subnormal, whose text RapidJSON 1.1 does not read back as
 * the same value). Tokens that are not numbers are left to the parser.
 */
bool in_double_range(std::string_view token) {
  double v = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return false;
  }
  if (ec != std::errc() || end != token.data() + token.size()) {
    return true;
  }
  return v == 0 || std::isnormal(v);
}

/**
 * zero_misread: whether a number token is a zero that RapidJSON 1.1's full-precision reading
 * takes past its fast path (a power of ten, counting the fraction's digits, below -22 or above
 * 37) and not out by its underflow test (an exponent of -326 or below): it then normalises a
 * zero significand (undefined behaviour) and reads e.g. 0e-325 as 5.29e-23. Tokens that are
 * not numbers or not zero are left to the other checks.
 */
bool zero_misread(std::string_view token) {
  std::size_t i = token.starts_with('-') ? 1 : 0;
  long long fraction_digits = 0;
  bool seen_point = false;
  for (; i < token.size() && token[i] != 'e' && token[i] != 'E'; ++i) {
    const char c = token[i];
    if (c == '.') {
      seen_point = true;
    } else if (c != '0') {
      return false;  // a digit other than 0 (or not a number at all)
    } else if (seen_point) {
      ++fraction_digits;
    }
  }
  long long exponent = 0;
  if (i < token.size()) {
    std::size_t j = i + 1;
    if (j < token.size() && token[j] == '+') {
      ++j;
    }
    const auto [end, ec] = std::from_chars(token.data() + j, token.data() + token.size(), exponent);
    if (ec != std::errc() || end != token.data() + token.size()) {
      return false;  // left to the parser and the range check
    }
  }
  const long long power = exponent - fraction_digits;
  // Below an exponent of -325 RapidJSON returns zero before normalising.
  return (power < -22 || power > 37) && exponent > -326;
}

/**
 * string_stop: the first '"' or '\\' at or after `i` (text.size() if none): sixteen bytes at a
 * time where SSE2 is there, since most of a FHIR document's bytes are inside strings. Reads only
 * inside the text.
 */
std::size_t string_stop(std::string_view text, std::size_t i) {
  const char* p = text.data() + i;
  const char* const end = text.data() + text.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; end - p >= 16; p += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash))));
    if (mask != 0) {
      return static_cast<std::size_t>(p - text.data()) + std::countr_zero(mask);
    }
  }
#endif
  for (; p < end; ++p) {
    if (*p == '"' || *p == '\\') {
      break;
    }
  }
  return static_cast<std::size_t>(p - text.data());
}

/**
 * number_prefix: the part of a run of number characters RapidJSON reads as one number, by JSON's
 * grammar (-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?), before it reports what follows
 * as a syntax error: "0e-310e830" is read as 0e-310 first. Where the grammar fails inside (a
 * fraction or an exponent without digits) RapidJSON stops before reading a value; the prefix
 * then ends there too.
 */
std::string_view number_prefix(std::string_view token) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') {
      ++i;
    }
    return i > start;
  };
  if (i < token.size() && token[i] == '-') {
    ++i;
  }
  if (i < token.size() && token[i] == '0') {
    ++i;  // a leading zero is the whole integer part
  } else if (!digits()) {
    return token.substr(0, i);
  }
  if (i < token.size() && token[i] == '.') {
    const std::size_t point = i++;
    if (!digits()) {
      return token.substr(0, point);
    }
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    const std::size_t e = i++;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
      ++i;
    }
    if (!digits()) {
      return token.substr(0, e);
    }
  }
  return token.substr(0, i);
}

/** number_hazard: why RapidJSON 1.1 would not read the number a run of number characters starts
 *  with back as written, or nullptr. */
const char* number_hazard(std::string_view run) {
  const std::string_view token = number_prefix(run);
  if (!in_double_range(token)) {
    return "a number outside the range of a double (it would not read back the same)";
  }
  if (zero_misread(token)) {
    return "a zero written with a power of ten below -22 or above 37 (write it as 0 or 0.0)";
  }
  return nullptr;
}

/**
 * find_hazard: one pass over the text, outside strings counting number characters, inside
 * strings reading escapes: a \u escape of a UTF-16 low surrogate (DC00-DFFF) that does not
 * follow a high one (RapidJSON 1.1 decodes it into bytes that are not UTF-8, a document that
 * then fails its own round trip), a number token longer than kMaxNumberChars, outside a
 * double's normal range, or a zero RapidJSON misreads (zero_misread).
 */
Hazard find_hazard(std::string_view text) {
  bool in_string = false;
  bool after_high = false;  // the previous character was a \u escape of a high surrogate
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!in_string) {
      if (number_char(c)) {
        if (++run > kMaxNumberChars) {
          return {i + 1 - run, "a number longer than 100 characters"};
        }
        continue;
      }
      if (const char* what = run > 0 ? number_hazard(text.substr(i - run, run)) : nullptr) {
        return {i - run, what};
      }
      if (c == '\0') {
        // RapidJSON's stream reads a NUL as the end: what follows would be ignored.
        return {i, "a NUL byte"};
      }
      run = 0;
      in_string = c == '"';
      after_high = false;
      continue;
    }
    if (c != '"' && c != '\\') {
      // Plain characters: jump to the next quote or backslash (the loop's ++i steps onto it).
      i = string_stop(text, i) - 1;
      after_high = false;
      continue;
    }
    if (c == '"') {
      in_string = false;
    } else if (i + 1 < text.size()) {
      if (text[i + 1] == 'u') {
        const int cp = hex4(text, i + 2);
        if (cp >= 0xDC00 && cp <= 0xDFFF && !after_high) {
          return {i, "a \\u escape of a lone UTF-16 surrogate (not a character)"};
        }
        after_high = cp >= 0xD800 && cp <= 0xDBFF;
        i += 5;
        continue;
      }
      ++i;  // an escaped character, e.g. \\ or \"
    }
    after_high = false;
  }
  if (const char* what = run > 0 ? number_hazard(text.substr(text.size() - run)) : nullptr) {
    return {text.size() - run, what};
  }
  return {};
}

/** all_ascii: no byte of `text` is over 0x7F (sixteen at a time where SSE2 is there). */
bool all_ascii(std::string_view text) {
  const char* p = text.data();
  const char* const end = text.data() + text.size();
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if (_mm_movemask_epi8(block) != 0) {
      return false;
    }
  }
#endif
  for (; p < end; ++p) {
    if (static_cast<unsigned char>(*p) > 0x7F) {
      return false;
    }
  }
  return true;
}

// --- the fast path ------------------------------------------------------------------------------

/** kReusedParserBytes: texts up to this size share the thread's parser and buffer; a larger one
 * gets its own, freed after it, so that no thread keeps megabytes of buffers after one big text. */
constexpr std::size_t kReusedParserBytes = std::size_t{256} * 1024;

/** kLinearKeyCheck: objects with up to this many members are checked for a repeated key against
 * the keys so far; larger ones by sorting their keys once at the end. */
constexpr std::size_t kLinearKeyCheck = 16;

/** FastState: a simdjson parser, its padded input buffer and the keys of the open large objects. */
struct FastState {
  simdjson::dom::parser parser;
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;
  std::vector<std::string_view> keys;  // reused
};

/**
 * TreeBuilder: builds the document's values from the tape of simdjson's DOM (the format of
 * simdjson's doc/tape.md: one 64-bit word per value, its type in the top byte; a string's word
 * points at its length and bytes in string_buf; a container's word holds its member or element
 * count), in document order, so the document is the one RapidJSON's reader would build. Each
 * object's members and each array's elements go into one block of the document's allocator
 * sized from that count and are built in place, laid out as RapidJSON's own SAX handler lays
 * out a parsed container (size equal to capacity) without its stack and copies. Any doubt (too
 * deep, a repeated key, a saturated count, a tape it does not expect) answers false: the caller
 * then takes the reference path, which gives the answer and, for a refusal, its message and
 * offset.
 */
class TreeBuilder {
public:
  TreeBuilder(const simdjson::dom::document& tree, Json::AllocatorType& allocator,
              std::size_t max_depth, std::vector<std::string_view>& keys)
      : tape_(tree.tape.get()),
        strings_(tree.string_buf.get()),
        allocator_(allocator),
        max_depth_(max_depth),
        keys_(keys) {}

  /**
   * build_root: constructs the tree's root value in `out`, storage that holds no value yet (its
   * old contents are not destroyed).
   */
  bool build_root(rapidjson::Value& out) {
    next_ = 1;  // the tape's first word is the root's, the value follows it
    return build(out, 0);
  }

  /** saw_double: simdjson read a number as a double (its value is to be RapidJSON's). */
  bool saw_double = false;

private:
  using Member = rapidjson::Value::Member;
  using Layout =
      rapidjson::GenericDocument<rapidjson::UTF8<>, Json::AllocatorType, detail::ValueLayoutAccess>;
  using TapeType = simdjson::internal::tape_type;

  static TapeType type_of(std::uint64_t word) { return static_cast<TapeType>(word >> 56); }

  /** string_at: the string of a string's tape word (its length and bytes in string_buf). */
  std::string_view string_at(std::uint64_t word) const {
    const std::uint8_t* at = strings_ + (word & simdjson::internal::JSON_VALUE_MASK);
    std::uint32_t length = 0;
    std::memcpy(&length, at, sizeof length);
    return {reinterpret_cast<const char*>(at + sizeof length), length};
  }

  /** build: constructs the value at the tape's next word (and all it holds) in `out` at nesting
   * depth `depth` (open containers), leaving next_ after it. Inlined into the container loops,
   * so that only containers recurse and a scalar costs no call. */
  [[gnu::always_inline]] bool build(rapidjson::Value& out, std::size_t depth) {
    const std::uint64_t word = tape_[next_++];
    switch (type_of(word)) {
      case TapeType::START_OBJECT:
        return object(word, out, depth);
      case TapeType::START_ARRAY:
        return array(word, out, depth);
      case TapeType::STRING:
        string(string_at(word), out);
        return true;
      case TapeType::INT64:
        new (&out) rapidjson::Value(std::bit_cast<std::int64_t>(tape_[next_++]));
        return true;
      case TapeType::UINT64:
        new (&out) rapidjson::Value(static_cast<std::uint64_t>(tape_[next_++]));
        return true;
      case TapeType::DOUBLE:
        // Read again from its text by RapidJSON afterwards (read_doubles_as_rapidjson).
        saw_double = true;
        new (&out) rapidjson::Value(std::bit_cast<double>(tape_[next_++]));
        return true;
      case TapeType::TRUE_VALUE:
        new (&out) rapidjson::Value(true);
        return true;
      case TapeType::FALSE_VALUE:
        new (&out) rapidjson::Value(false);
        return true;
      case TapeType::NULL_VALUE:
        new (&out) rapidjson::Value();
        return true;
      case TapeType::ROOT:
      case TapeType::END_ARRAY:
      case TapeType::END_OBJECT:
        break;
    }
    return false;
  }

  /**
   * string: a copy of `s` in `out`, the value the document's SAX handler makes: inline when
   * short, else in the document's allocator. `s` is in simdjson's string buffer, which has
   * SIMDJSON_PADDING bytes past the most its strings can take, so sixteen bytes can be read at
   * any string's start.
   */
  void string(std::string_view s, rapidjson::Value& out) {
    const auto n = static_cast<rapidjson::SizeType>(s.size());
    if (n <= Layout::kShortMax) {
      Layout::set_short_string(out, s.data(), n);
    } else {
      Layout::set_copied_string(out, s.data(), n, allocator_);
    }
  }

  /** count: a container's member or element count, or nullopt when simdjson saturated it (it
   * then only says "this many or more"). */
  static std::optional<std::size_t> count(std::uint64_t word) {
    const auto n = static_cast<std::uint32_t>(word >> 32) & simdjson::internal::JSON_COUNT_MASK;
    if (n == simdjson::internal::JSON_COUNT_MASK) {
      return std::nullopt;
    }
    return n;
  }

  /** close: steps over the container's closing word, which must be `end`. */
  bool close(TapeType end) { return type_of(tape_[next_++]) == end; }

  /** key_bit: one of 64 bits for a key (from its length and last byte), so that a small
   * object's keys are compared only when two of them share a bit. */
  static std::uint64_t key_bit(std::string_view key) {
    const std::size_t h = key.empty() ? 0 : key.size() * 5 + static_cast<unsigned char>(key.back());
    return std::uint64_t{1} << (h & 63);
  }

  /** repeats_a_name: whether `key` is the name of one of the members [first, last). */
  static bool repeats_a_name(std::string_view key, const Member* first, const Member* last) {
    for (; first != last; ++first) {
      if (std::string_view(first->name.GetString(), first->name.GetStringLength()) == key) {
        return true;
      }
    }
    return false;
  }

  bool object(std::uint64_t word, rapidjson::Value& out, std::size_t depth) {
    const std::optional<std::size_t> n = count(word);
    if (depth >= max_depth_ || !n) {
      return false;
    }
    new (&out) rapidjson::Value(rapidjson::kObjectType);
    if (*n == 0) {
      return close(TapeType::END_OBJECT);
    }
    auto* const members = static_cast<Member*>(allocator_.Malloc(*n * sizeof(Member)));
    const bool large = *n > kLinearKeyCheck;
    // A large object's keys sit at the top of keys_ (a member's large objects push theirs above
    // them and take them off again before the next key).
    const auto first = static_cast<std::ptrdiff_t>(keys_.size());
    std::uint64_t seen = 0;  // key_bit of the keys so far (small objects)
    for (Member* m = members; m != members + *n; ++m) {
      const std::uint64_t key_word = tape_[next_++];
      if (type_of(key_word) != TapeType::STRING) {
        return false;
      }
      const std::string_view key = string_at(key_word);
      if (large) {
        keys_.push_back(key);
      } else if (*n > 1) {
        const std::uint64_t bit = key_bit(key);
        if ((seen & bit) != 0 && repeats_a_name(key, members, m)) {
          return false;
        }
        seen |= bit;
      }
      string(key, m->name);
      if (!build(m->value, depth + 1)) {
        return false;
      }
    }
    if (large) {
      std::sort(keys_.begin() + first, keys_.end());
      if (std::adjacent_find(keys_.begin() + first, keys_.end()) != keys_.end()) {
        return false;
      }
      keys_.resize(static_cast<std::size_t>(first));
    }
    Layout::adopt_members(out, members, static_cast<rapidjson::SizeType>(*n));
    return close(TapeType::END_OBJECT);
  }

  bool array(std::uint64_t word, rapidjson::Value& out, std::size_t depth) {
    const std::optional<std::size_t> n = count(word);
    if (depth >= max_depth_ || !n) {
      return false;
    }
    new (&out) rapidjson::Value(rapidjson::kArrayType);
    if (*n == 0) {
      return close(TapeType::END_ARRAY);
    }
    auto* const elements =
        static_cast<rapidjson::Value*>(allocator_.Malloc(*n * sizeof(rapidjson::Value)));
    for (rapidjson::Value* e = elements; e != elements + *n; ++e) {
      if (!build(*e, depth + 1)) {
        return false;
      }
    }
    Layout::adopt_elements(out, elements, static_cast<rapidjson::SizeType>(*n));
    return close(TapeType::END_ARRAY);
  }

  const std::uint64_t* tape_;
  const std::uint8_t* strings_;
  std::size_t next_ = 0;  // the tape word to read next
  Json::AllocatorType& allocator_;
  std::size_t max_depth_;
  std::vector<std::string_view>& keys_;
};

/**
 * number_tokens: the number tokens of `text` outside strings, in document order (the order of
 * the document's numbers). Called only on text simdjson accepted, so every string is closed.
 */
std::vector<std::string_view> number_tokens(std::string_view text) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      // Skip the string: to each quote or backslash, past escapes, to the closing quote.
      for (i = string_stop(text, i + 1); i < text.size() && text[i] == '\\';) {
        i = string_stop(text, i + 2);
      }
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t start = i;
      while (i + 1 < text.size() && number_char(text[i + 1])) {
        ++i;
      }
      out.push_back(text.substr(start, i + 1 - start));
    }
  }
  return out;
}

/** NumberReader: RapidJSON's reading of one number token, as the value it would hold. */
struct NumberReader : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, NumberReader> {
  // NOLINTBEGIN(readability-identifier-naming): RapidJSON's Handler concept names these.
  bool Default() { return false; }
  bool Int(int i) { return set(rapidjson::Value(i)); }
  bool Uint(unsigned u) { return set(rapidjson::Value(u)); }
  bool Int64(std::int64_t i) { return set(rapidjson::Value(i)); }
  bool Uint64(std::uint64_t u) { return set(rapidjson::Value(u)); }
  bool Double(double d) { return set(rapidjson::Value(d)); }
  // NOLINTEND(readability-identifier-naming)
  bool set(rapidjson::Value&& v) {
    value = std::move(v);
    return true;
  }
  rapidjson::Value value;
};

/**
 * read_doubles_as_rapidjson: gives every number simdjson read as a double the value (and type)
 * RapidJSON reads from its text, so that the document is the reference path's to the bit, even
 * where RapidJSON 1.1 reads a number differently (e.g. "-0" is an integer to it). `next` walks
 * the number tokens in document order. False when the tokens do not line up or RapidJSON
 * refuses one (the reference path then answers).
 */
bool read_doubles_as_rapidjson(rapidjson::Value& v, const std::vector<std::string_view>& tokens,
                               std::size_t& next) {
  if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      if (!read_doubles_as_rapidjson(m->value, tokens, next)) {
        return false;
      }
    }
  } else if (v.IsArray()) {
    for (auto& item : v.GetArray()) {
      if (!read_doubles_as_rapidjson(item, tokens, next)) {
        return false;
      }
    }
  } else if (v.IsNumber()) {
    if (next >= tokens.size()) {
      return false;
    }
    const std::string_view token = tokens[next++];
    if (v.IsDouble()) {
      NumberReader reader;
      rapidjson::Reader parser;
      rapidjson::MemoryStream ms(token.data(), token.size());
      if (parser.Parse<kFlags>(ms, reader).IsError()) {
        return false;
      }
      v = std::move(reader.value);
    }
  }
  return true;
}

/**
 * fast_parse: the document, when simdjson reads `text` and nothing about it needs the reference
 * path; nullopt otherwise (an error of any kind, a repeated key, too deep, a byte order mark,
 * a number RapidJSON 1.1 would refuse). Numbers with a fraction or an exponent are read again by
 * RapidJSON from their text, so they hold what the reference path would give them.
 */
std::optional<Json> fast_parse(std::string_view text, const ParseLimits& limits) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.substr(0, kBom.size()) == kBom) {
    return std::nullopt;  // simdjson may skip it; RapidJSON's reader refuses it
  }
  thread_local FastState reused;
  std::unique_ptr<FastState> own;
  FastState* state = &reused;
  if (text.size() > kReusedParserBytes) {
    own = std::make_unique<FastState>();
    state = own.get();
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: a copy with zeroed padding.
  const std::size_t need = text.size() + simdjson::SIMDJSON_PADDING;
  if (state->capacity < need) {
    state->buffer = std::make_unique<char[]>(need);
    state->capacity = need;
  }
  std::memcpy(state->buffer.get(), text.data(), text.size());
  std::memset(state->buffer.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  if (state->parser.parse(state->buffer.get(), text.size(), false).error() != simdjson::SUCCESS) {
    return std::nullopt;
  }
  Json doc;
  state->keys.clear();
  TreeBuilder builder(state->parser.doc, doc.GetAllocator(), limits.max_depth, state->keys);
  rapidjson::Value value;
  if (!builder.build_root(value)) {
    return std::nullopt;
  }
  static_cast<rapidjson::Value&>(doc).Swap(value);
  if (builder.saw_double) {
    if (find_hazard(text).at != std::string_view::npos) {
      return std::nullopt;
    }
    const std::vector<std::string_view> tokens = number_tokens(text);
    std::size_t next = 0;
    if (!read_doubles_as_rapidjson(doc, tokens, next) || next != tokens.size()) {
      return std::nullopt;
    }
  }
  return doc;
}

}  // namespace

Result<Json> parse_json(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(Errc::kPayloadTooLarge,
                      "JSON larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (std::optional<Json> doc = fast_parse(text, limits)) {
    return std::move(*doc);
  }
  return detail::parse_json_reference(text, limits);
}

namespace detail {

Result<Json> parse_json_reference(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(Errc::kPayloadTooLarge,
                      "JSON larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (const Hazard h = find_hazard(text); h.at != std::string_view::npos) {
    return make_error(Errc::kBadRequest,
                      "invalid JSON at byte " + std::to_string(h.at) + ": " + h.what);
  }
  const bool ascii = all_ascii(text);
  Json doc;
  std::string problem;
  rapidjson::ParseResult result;
  auto generate = [&](Json& target) {
    Builder builder(target, limits.max_depth);
    rapidjson::Reader reader;
    rapidjson::MemoryStream ms(text.data(), text.size());
    result = ascii ? reader.Parse<kAsciiFlags>(ms, builder) : reader.Parse<kFlags>(ms, builder);
    problem = std::move(builder.problem);
    return !result.IsError();
  };
  doc.Populate(generate);
  if (result.IsError()) {
    return make_error(
        Errc::kBadRequest,
        "invalid JSON at byte " + std::to_string(result.Offset()) + ": " +
            (problem.empty() ? std::string(rapidjson::GetParseError_En(result.Code())) : problem));
  }
  return doc;
}

}  // namespace detail

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
