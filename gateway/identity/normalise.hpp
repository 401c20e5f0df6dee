// Normalisation of demographic fields before matching: names (case, accents, titles, hyphens,
// apostrophes), the NYSIIS phonetic code, nicknames, UK postcodes (outward code, sector), FHIR
// dates and FHIR administrative gender. Pure functions over constant tables; see MATCHING.md.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"

namespace gw::identity {

/**
 * fold_text: folds a name to lower-case ASCII for comparison.
 *
 * Letters of Latin-1 Supplement and Latin Extended-A (and Romanian s/t with comma) lose their
 * accents (é→e, ö→o, ł→l, ø→o, đ→d) or become two letters (ß→ss, æ→ae, œ→oe, þ→th, ĳ→ij);
 * combining accents (U+0300..U+036F) are dropped. Apostrophes (' ’ ‘ ʼ `) are removed, so
 * O'Brien → obrien. Every other run of non-letters (spaces, hyphens and dashes, dots, digits,
 * commas, NBSP) becomes one space; the result is trimmed. Letters of other scripts are kept as
 * they are (UTF-8). Bytes that are not valid UTF-8 are read as Windows-1252, the usual legacy
 * encoding of UK systems. Never fails.
 * @param text a name as received (UTF-8 expected, any bytes accepted).
 * @return the folded text, e.g. "  José  GARCÍA-López " → "jose garcia lopez".
 * Thread safety: pure.
 */
[[nodiscard]] std::string fold_text(std::string_view text);

/**
 * normalise_name: fold_text, then drop leading titles (mr, mrs, ms, miss, mx, master, dr, prof,
 * rev, sir, dame, lord, lady, ...) and trailing suffixes (jr, jnr, sr, snr, ii, iii, mbe, obe,
 * phd, ...), but never the last remaining word (a family name "Major" or "Lord" survives).
 * @return space-separated lower-case words, e.g. "Mrs Anne-Marie O’Brien" → "anne marie obrien".
 */
[[nodiscard]] std::string normalise_name(std::string_view name);

/**
 * name_parts: the words of normalise_name, e.g. "Smith-Jones" → {"smith", "jones"}; a hyphenated
 * or double-barrelled surname is split into its parts.
 */
[[nodiscard]] std::vector<std::string> name_parts(std::string_view name);

/**
 * joined_name: normalise_name with the spaces removed, so "Smith-Jones", "SMITH JONES" and
 * "Smithjones" all become "smithjones" (how systems that refuse hyphens store such names).
 */
[[nodiscard]] std::string joined_name(std::string_view name);

/**
 * is_name_particle: true for the short words of surnames such as "van der Berg", "de la Cruz",
 * "le Page" (de, da, di, du, la, le, van, von, der, den, del, dos, ...). They are kept when names
 * are compared whole but are not used on their own for partial matches or blocking keys.
 */
[[nodiscard]] bool is_name_particle(std::string_view word);

/**
 * nysiis: the NYSIIS phonetic code (New York State Identification and Intelligence System,
 * R. L. Taft 1970) of a name, with the original six-character truncation. Letters other than
 * a-z (after fold_text) are ignored, so "O'Brien", "Obrien" and "OBRIEN" share a code.
 * @return upper-case code, e.g. "Smith" → "SNAT", "MacDonald" → "MCDANA"; empty if the name has
 * no ASCII letters.
 */
[[nodiscard]] std::string nysiis(std::string_view name);

/**
 * nickname_equivalent: true when two folded given names are the same or known variants of one
 * formal name through the built-in table (bill ~ william ~ will, peggy ~ margaret, ...).
 * @param a, b outputs of fold_text / normalise_name for a single given name.
 */
[[nodiscard]] bool nickname_equivalent(std::string_view a, std::string_view b);

/**
 * within_one_edit: true when a and b differ by at most one insertion, deletion, substitution or
 * transposition of adjacent characters (optimal string alignment distance ≤ 1).
 */
[[nodiscard]] bool within_one_edit(std::string_view a, std::string_view b);

/** Postcode: a UK postcode split into the parts matching compares. */
struct Postcode {
  std::string full;     ///< "SW1A 1AA": upper case, one space before the inward code
  std::string outward;  ///< "SW1A": area + district
  std::string sector;   ///< "SW1A 1": outward code + the digit of the inward code
  friend bool operator==(const Postcode&, const Postcode&) = default;
};

/**
 * parse_postcode: accepts a UK postcode in any case with any spacing ("sw1a1aa", " SW1A  1AA")
 * and checks its format: outward A9, A99, AA9, AA99, A9A or AA9A with the letter restrictions
 * of each position, inward 9AA without C I K M O V; also GIR 0AA. Whether the postcode exists
 * is not checked (that needs the postcode file).
 * @return the parts, or kBadRequest saying what is wrong (never repeating the value).
 */
[[nodiscard]] Result<Postcode> parse_postcode(std::string_view text);

/**
 * Date: a FHIR date, possibly partial: month and day are 0 when not known ("1970", "1970-03").
 */
struct Date {
  int year = 0;
  int month = 0;  ///< 1..12, or 0 when only the year is known
  int day = 0;    ///< 1..31, or 0 when only the year (and month) is known

  /** complete: year, month and day are all known. */
  [[nodiscard]] bool complete() const { return month != 0 && day != 0; }
  /** str: "yyyy", "yyyy-mm" or "yyyy-mm-dd". */
  [[nodiscard]] std::string str() const;
  /** digits: "yyyymmdd" for a complete date (as used in blocking keys), else "yyyy" / "yyyymm". */
  [[nodiscard]] std::string digits() const;

  friend auto operator<=>(const Date&, const Date&) = default;
};

/**
 * parse_date: a FHIR date (http://hl7.org/fhir/R4/datatypes.html#date): "yyyy", "yyyy-mm" or
 * "yyyy-mm-dd", calendar-checked (30 April, 29 February only in leap years).
 * @return the date, or kBadRequest saying what is wrong (never repeating the value).
 */
[[nodiscard]] Result<Date> parse_date(std::string_view text);

/** Gender: FHIR administrative-gender (http://hl7.org/fhir/R4/valueset-administrative-gender). */
enum class Gender : std::uint8_t { kUnknown, kMale, kFemale, kOther };

/**
 * parse_gender: "male"/"female"/"other"/"unknown" (any case), the one-letter forms M/F/O/U, and
 * NHS Data Dictionary person gender codes 1 (male), 2 (female), 9 (indeterminate → other),
 * 0 and X (not known / not specified → unknown). Anything else is unknown; never fails.
 */
[[nodiscard]] Gender parse_gender(std::string_view text);

/** gender_code: the FHIR code, "male", "female", "other" or "unknown". */
[[nodiscard]] std::string_view gender_code(Gender g);

}  // namespace gw::identity
