// Normalisation of names, postcodes, dates and gender for demographic matching (MATCHING.md).
// Pure functions over constant tables (accents, titles, particles, nicknames).
#include "gateway/identity/normalise.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <utility>

#include "gateway/core/ascii.hpp"

namespace gw::identity {
namespace {

// Latin-1 Supplement U+00C0..U+00FF folded to ASCII; " " marks a separator (× and ÷).
constexpr auto kLatin1 = std::to_array<std::string_view>({
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // C0
    "d", "n", "o", "o", "o", "o", "o",  " ", "o", "u", "u", "u", "u", "y", "th", "ss",  // D0
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // E0
    "d", "n", "o", "o", "o", "o", "o",  " ", "o", "u", "u", "u", "u", "y", "th", "y",   // F0
});
static_assert(kLatin1.size() == 0x40);

// Latin Extended-A U+0100..U+017F folded to ASCII (Polish, Czech, Hungarian, Turkish, Latvian,
// Lithuanian, Welsh ŵ ŷ, Maltese ...).
constexpr auto kLatinExtendedA = std::to_array<std::string_view>({
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",  // 0100
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",  // 0110
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",  // 0120
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",  // 0130
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",  // 0140
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",  // 0150
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",  // 0160
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s",  // 0170
});
static_assert(kLatinExtendedA.size() == 0x80);

// Windows-1252 0x80..0x9F as code points (0 = not a character worth keeping), for bytes that
// are not valid UTF-8: legacy UK systems still send cp1252 (O’Brien as 0x92).
constexpr auto kCp1252 = std::to_array<char32_t>({
    0,      0,      0x201A, 0,      0x201E, 0x2026, 0,      0,      0,      0,      0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0,
    0x2013, 0x2014, 0,      0,      0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
});
static_assert(kCp1252.size() == 0x20);

/** decode: the code point at s[i] and its length in bytes; invalid UTF-8 reads one cp1252 byte. */
std::pair<char32_t, std::size_t> decode(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    return {b0, 1};
  }
  auto cont = [&](std::size_t k, unsigned char lo, unsigned char hi) {
    if (i + k >= s.size()) {
      return false;
    }
    const auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  auto bits = [&](std::size_t k) { return static_cast<char32_t>(s[i + k] & 0x3F); };
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1, 0x80, 0xBF)) {
    return {(static_cast<char32_t>(b0 & 0x1F) << 6) | bits(1), 2};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    // Reject overlong forms (E0 80..9F) and UTF-16 surrogates (ED A0..BF).
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    if (cont(1, lo, hi) && cont(2, 0x80, 0xBF)) {
      return {(static_cast<char32_t>(b0 & 0x0F) << 12) | (bits(1) << 6) | bits(2), 3};
    }
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF)) {
      return {(static_cast<char32_t>(b0 & 0x07) << 18) | (bits(1) << 12) | (bits(2) << 6) | bits(3),
              4};
    }
  }
  if (b0 < 0xA0) {
    return {kCp1252[b0 - 0x80], 1};
  }
  return {b0, 1};  // Latin-1 byte
}

bool is_apostrophe(char32_t cp) {
  return cp == U'\'' || cp == U'`' || cp == 0xB4 || cp == 0x2018 || cp == 0x2019 || cp == 0x201B ||
         cp == 0x02BC || cp == 0x02BB || cp == 0x2032;
}

/** fold_code_point: the folded ASCII for cp, " " for a separator, "" to drop it, or nullopt to
 * keep the original bytes (a letter of another script). */
std::optional<std::string_view> fold_code_point(char32_t cp) {
  static constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyz";
  if (cp >= U'a' && cp <= U'z') {
    return kLetters.substr(cp - U'a', 1);
  }
  if (cp >= U'A' && cp <= U'Z') {
    return kLetters.substr(cp - U'A', 1);
  }
  if (is_apostrophe(cp) || cp == 0xAD || (cp >= 0x300 && cp <= 0x36F) || cp == 0) {
    return std::string_view{};  // apostrophes, soft hyphen, combining accents: dropped
  }
  if (cp >= 0xC0 && cp <= 0xFF) {
    return kLatin1[cp - 0xC0];
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    return kLatinExtendedA[cp - 0x100];
  }
  if (cp == 0x218 || cp == 0x219) {
    return std::string_view{"s"};  // Romanian ș
  }
  if (cp == 0x21A || cp == 0x21B) {
    return std::string_view{"t"};  // Romanian ț
  }
  if (cp < 0x180 || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
      cp == 0xFEFF || (cp >= 0xFF00 && cp <= 0xFF0F)) {
    return std::string_view{" "};  // ASCII and Latin-1 symbols, digits, general punctuation
  }
  return std::nullopt;
}

// Titles dropped from the front of a name. Not "col" (Colin) or "dean" (a given name).
constexpr auto kTitles = std::to_array<std::string_view>({
    "br",        "brother", "capt", "captain", "cllr",       "colonel", "dame", "doctor",
    "dr",        "father",  "fr",   "hon",     "honourable", "imam",    "lady", "lord",
    "master",    "miss",    "mr",   "mrs",     "ms",         "mstr",    "mx",   "prof",
    "professor", "rabbi",   "rev",  "revd",    "reverend",   "rt",      "sir",  "sister",
});

// Suffixes dropped from the end of a name.
constexpr auto kSuffixes = std::to_array<std::string_view>({
    "jr",  "jnr", "junior", "sr",  "snr", "senior", "ii",  "iii", "iv",   "mbe", "obe",
    "cbe", "kbe", "dbe",    "bem", "qc",  "kc",     "phd", "md",  "frcs", "mp",  "esq",
});

// Surname particles: kept in the whole name, not used alone.
constexpr auto kParticles = std::to_array<std::string_view>({
    "ab", "af",  "al", "ap", "av",  "bin", "da", "das", "de", "del", "della", "den", "der", "di",
    "do", "dos", "du", "el", "ibn", "la",  "le", "los", "st", "ten", "ter",   "van", "von",
});

template <class Table>
bool contains(const Table& table, std::string_view word) {
  return std::find(table.begin(), table.end(), word) != table.end();
}

std::vector<std::string> split_words(std::string_view folded) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < folded.size()) {
    std::size_t end = folded.find(' ', start);
    if (end == std::string_view::npos) {
      end = folded.size();
    }
    if (end > start) {
      words.emplace_back(folded.substr(start, end - start));
    }
    start = end + 1;
  }
  return words;
}

// Nicknames and short forms → formal given names (sorted by nickname; a nickname may belong to
// several formal names). Written for this project from common English usage.
struct Nickname {
  std::string_view nick;
  std::string_view formal;
};
constexpr Nickname kNicknames[] = {
    {"abby", "abigail"},      {"abi", "abigail"},        {"al", "alan"},
    {"al", "albert"},         {"al", "alfred"},          {"alec", "alexander"},
    {"alex", "alexander"},    {"alex", "alexandra"},     {"alf", "alfred"},
    {"alfie", "alfred"},      {"ali", "alison"},         {"ali", "alistair"},
    {"allie", "alison"},      {"andy", "andrew"},        {"annie", "ann"},
    {"annie", "anne"},        {"archie", "archibald"},   {"art", "arthur"},
    {"babs", "barbara"},      {"barb", "barbara"},       {"barney", "bernard"},
    {"bart", "bartholomew"},  {"bea", "beatrice"},       {"becca", "rebecca"},
    {"becky", "rebecca"},     {"bella", "isabel"},       {"bella", "isabella"},
    {"ben", "benjamin"},      {"benji", "benjamin"},     {"bert", "albert"},
    {"bert", "herbert"},      {"bertie", "albert"},      {"bess", "elizabeth"},
    {"beth", "elizabeth"},    {"bethan", "elizabeth"},   {"betsy", "elizabeth"},
    {"betty", "elizabeth"},   {"bill", "william"},       {"billy", "william"},
    {"bob", "robert"},        {"bobby", "robert"},       {"brad", "bradley"},
    {"cal", "callum"},        {"cam", "cameron"},        {"carrie", "caroline"},
    {"cassie", "cassandra"},  {"cath", "catherine"},     {"cath", "katherine"},
    {"cathy", "catherine"},   {"charlie", "charles"},    {"charlie", "charlotte"},
    {"chas", "charles"},      {"chris", "christina"},    {"chris", "christine"},
    {"chris", "christopher"}, {"chrissie", "christine"}, {"chuck", "charles"},
    {"cissy", "cecilia"},     {"claire", "clare"},       {"clem", "clement"},
    {"col", "colin"},         {"connie", "constance"},   {"dan", "daniel"},
    {"danny", "daniel"},      {"dave", "david"},         {"davey", "david"},
    {"davy", "david"},        {"deb", "deborah"},        {"debbie", "deborah"},
    {"del", "derek"},         {"den", "dennis"},         {"des", "desmond"},
    {"di", "diana"},          {"dick", "richard"},       {"dom", "dominic"},
    {"don", "donald"},        {"dot", "dorothy"},        {"dottie", "dorothy"},
    {"doug", "douglas"},      {"ed", "edmund"},          {"ed", "edward"},
    {"eddie", "edward"},      {"ellie", "eleanor"},      {"ellie", "ellen"},
    {"elsie", "elizabeth"},   {"em", "emily"},           {"em", "emma"},
    {"emmy", "emily"},        {"fran", "frances"},       {"fran", "francesca"},
    {"frank", "francis"},     {"frankie", "francis"},    {"fred", "frederick"},
    {"freddie", "frederick"}, {"freddy", "frederick"},   {"gabe", "gabriel"},
    {"gail", "abigail"},      {"gen", "genevieve"},      {"geoff", "geoffrey"},
    {"gerry", "gerald"},      {"gerry", "geraldine"},    {"gill", "gillian"},
    {"ginny", "virginia"},    {"greg", "gregory"},       {"gus", "angus"},
    {"hal", "harold"},        {"hal", "henry"},          {"hank", "henry"},
    {"harry", "harold"},      {"harry", "henry"},        {"hattie", "harriet"},
    {"izzy", "isabel"},       {"izzy", "isabella"},      {"jack", "john"},
    {"jackie", "jacqueline"}, {"jake", "jacob"},         {"jamie", "james"},
    {"jan", "janet"},         {"jane", "jean"},          {"jen", "jennifer"},
    {"jenny", "jennifer"},    {"jerry", "gerald"},       {"jess", "jessica"},
    {"jessie", "jessica"},    {"jill", "gillian"},       {"jim", "james"},
    {"jimmy", "james"},       {"jo", "joanna"},          {"jo", "joanne"},
    {"jo", "josephine"},      {"joe", "joseph"},         {"joey", "joseph"},
    {"johnny", "john"},       {"jon", "john"},           {"jon", "jonathan"},
    {"josh", "joshua"},       {"judy", "judith"},        {"jules", "julian"},
    {"julie", "julia"},       {"kate", "catherine"},     {"kate", "katherine"},
    {"kath", "katherine"},    {"kathy", "katherine"},    {"katie", "catherine"},
    {"katie", "katherine"},   {"kay", "katherine"},      {"ken", "kenneth"},
    {"kenny", "kenneth"},     {"kim", "kimberley"},      {"kit", "christopher"},
    {"kitty", "katherine"},   {"larry", "lawrence"},     {"len", "leonard"},
    {"lenny", "leonard"},     {"leo", "leonard"},        {"les", "leslie"},
    {"lew", "lewis"},         {"liam", "william"},       {"libby", "elizabeth"},
    {"lily", "lilian"},       {"liz", "elizabeth"},      {"lizzie", "elizabeth"},
    {"lou", "louis"},         {"lou", "louise"},         {"lucy", "lucinda"},
    {"maddie", "madeleine"},  {"maggie", "margaret"},    {"mags", "margaret"},
    {"mandy", "amanda"},      {"mat", "matthew"},        {"matt", "matthew"},
    {"max", "maximilian"},    {"max", "maxwell"},        {"meg", "margaret"},
    {"megan", "margaret"},    {"mel", "melanie"},        {"mel", "melissa"},
    {"mick", "michael"},      {"mickey", "michael"},     {"mike", "michael"},
    {"milly", "amelia"},      {"milly", "millicent"},    {"mo", "maureen"},
    {"mo", "mohammed"},       {"molly", "mary"},         {"nan", "ann"},
    {"nat", "natalie"},       {"nat", "nathan"},         {"nat", "nathaniel"},
    {"ned", "edward"},        {"nell", "eleanor"},       {"nell", "helen"},
    {"nellie", "eleanor"},    {"nick", "nicholas"},      {"nicky", "nicholas"},
    {"nicky", "nicola"},      {"nikki", "nicola"},       {"ollie", "oliver"},
    {"ollie", "olivia"},      {"paddy", "patrick"},      {"pam", "pamela"},
    {"pat", "patricia"},      {"pat", "patrick"},        {"patsy", "patricia"},
    {"patty", "patricia"},    {"peggy", "margaret"},     {"penny", "penelope"},
    {"pete", "peter"},        {"phil", "philip"},        {"phil", "phillip"},
    {"polly", "mary"},        {"rach", "rachel"},        {"ray", "raymond"},
    {"reg", "reginald"},      {"rich", "richard"},       {"richie", "richard"},
    {"rick", "richard"},      {"ricky", "richard"},      {"rob", "robert"},
    {"robbie", "robert"},     {"robin", "robert"},       {"rod", "rodney"},
    {"ron", "ronald"},        {"ronnie", "ronald"},      {"rosie", "rose"},
    {"rosie", "rosemary"},    {"roz", "rosalind"},       {"sal", "sally"},
    {"sally", "sarah"},       {"sam", "samantha"},       {"sam", "samuel"},
    {"sammy", "samuel"},      {"sandy", "alexander"},    {"sandy", "sandra"},
    {"sid", "sidney"},        {"sue", "susan"},          {"suzie", "susan"},
    {"suzy", "susan"},        {"ted", "edward"},         {"teddy", "edward"},
    {"terry", "terence"},     {"tess", "teresa"},        {"tessa", "teresa"},
    {"theo", "theodore"},     {"tim", "timothy"},        {"timmy", "timothy"},
    {"toby", "tobias"},       {"tom", "thomas"},         {"tommy", "thomas"},
    {"tony", "anthony"},      {"trish", "patricia"},     {"val", "valerie"},
    {"vic", "victor"},        {"vicky", "victoria"},     {"vince", "vincent"},
    {"viv", "vivienne"},      {"wendy", "gwendolen"},    {"will", "william"},
    {"willy", "william"},     {"zach", "zachary"},       {"zak", "zachary"},
};
static_assert(std::is_sorted(std::begin(kNicknames), std::end(kNicknames),
                             [](const Nickname& a, const Nickname& b) { return a.nick < b.nick; }),
              "kNicknames must be sorted by nickname for equal_range");

bool is_vowel(char c) { return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

bool in(std::string_view set, char c) { return set.find(c) != std::string_view::npos; }

/** digits_value: the value of a run of ASCII digits, or -1. */
int digits_value(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (!is_digit(c)) {
      return -1;
    }
    v = v * 10 + (c - '0');
  }
  return s.empty() ? -1 : v;
}

int days_in_month(int year, int month) {
  static constexpr auto kDays = std::to_array({31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31});
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

std::string pad(int v, std::size_t width) {
  std::string s = std::to_string(v);
  if (s.size() < width) {
    s.insert(0, width - s.size(), '0');
  }
  return s;
}

}  // namespace

std::string fold_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  auto emit = [&](std::string_view piece) {
    if (pending_space && !out.empty()) {
      out.push_back(' ');
    }
    pending_space = false;
    out.append(piece);
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto [cp, len] = decode(text, i);
    const auto folded = fold_code_point(cp);
    if (!folded) {
      emit(text.substr(i, len));  // a letter of another script, kept as UTF-8
    } else if (*folded == " ") {
      pending_space = true;
    } else if (!folded->empty()) {
      emit(*folded);
    }
    i += len;
  }
  return out;
}

std::string normalise_name(std::string_view name) {
  std::vector<std::string> words = split_words(fold_text(name));
  std::size_t first = 0;
  while (words.size() - first > 1 && contains(kTitles, words[first])) {
    ++first;
  }
  std::size_t last = words.size();
  while (last - first > 1 && contains(kSuffixes, words[last - 1])) {
    --last;
  }
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    if (!out.empty()) {
      out.push_back(' ');
    }
    out += words[i];
  }
  return out;
}

std::vector<std::string> name_parts(std::string_view name) {
  return split_words(normalise_name(name));
}

std::string joined_name(std::string_view name) {
  std::string n = normalise_name(name);
  std::erase(n, ' ');
  return n;
}

bool is_name_particle(std::string_view word) { return contains(kParticles, word); }

std::string nysiis(std::string_view name) {
  std::string s;
  for (char c : fold_text(name)) {
    if (c >= 'a' && c <= 'z') {
      s.push_back(static_cast<char>(c - 'a' + 'A'));
    }
  }
  if (s.empty()) {
    return s;
  }
  // Step 1: the start of the name.
  if (s.starts_with("MAC")) {
    s.replace(0, 3, "MCC");
  } else if (s.starts_with("KN")) {
    s.replace(0, 2, "NN");
  } else if (s.starts_with("K")) {
    s[0] = 'C';
  } else if (s.starts_with("PH") || s.starts_with("PF")) {
    s.replace(0, 2, "FF");
  } else if (s.starts_with("SCH")) {
    s.replace(0, 3, "SSS");
  }
  // Step 2: the end of the name.
  if (s.size() >= 2) {
    const std::string_view tail = std::string_view(s).substr(s.size() - 2);
    if (tail == "EE" || tail == "IE") {
      s.replace(s.size() - 2, 2, "Y");
    } else if (tail == "DT" || tail == "RT" || tail == "RD" || tail == "NT" || tail == "ND") {
      s.replace(s.size() - 2, 2, "D");
    }
  }
  // Steps 3-4: keep the first letter, translate the rest in place (later rules see earlier
  // translations), and append each translated letter unless it repeats the last one.
  std::string key(1, s[0]);
  const std::size_t n = s.size();
  for (std::size_t i = 1; i < n; ++i) {
    const char c = s[i];
    const bool has_next = i + 1 < n;
    if (c == 'E' && has_next && s[i + 1] == 'V') {
      s[i] = 'A';
      s[i + 1] = 'F';
    } else if (is_vowel(c)) {
      s[i] = 'A';
    } else if (c == 'Q') {
      s[i] = 'G';
    } else if (c == 'Z') {
      s[i] = 'S';
    } else if (c == 'M') {
      s[i] = 'N';
    } else if (c == 'K') {
      s[i] = has_next && s[i + 1] == 'N' ? 'N' : 'C';
    } else if (c == 'S' && i + 2 < n && s[i + 1] == 'C' && s[i + 2] == 'H') {
      s[i + 1] = 'S';
      s[i + 2] = 'S';
    } else if (c == 'P' && has_next && s[i + 1] == 'H') {
      s[i] = 'F';
      s[i + 1] = 'F';
    } else if (c == 'H') {
      if (!is_vowel(s[i - 1]) || !has_next || !is_vowel(s[i + 1])) {
        s[i] = s[i - 1];
      }
    } else if (c == 'W') {
      if (is_vowel(s[i - 1])) {
        s[i] = s[i - 1];
      }
    }
    if (s[i] != key.back()) {
      key.push_back(s[i]);
    }
  }
  // Steps 5-7: a final S, a final AY and a final A.
  if (key.size() > 1 && key.back() == 'S') {
    key.pop_back();
  }
  if (key.size() > 2 && key.ends_with("AY")) {
    key.replace(key.size() - 2, 2, "Y");
  }
  if (key.size() > 1 && key.back() == 'A') {
    key.pop_back();
  }
  if (key.size() > 6) {
    key.resize(6);
  }
  return key;
}

bool nickname_equivalent(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) {
    return false;
  }
  if (a == b) {
    return true;
  }
  auto formals = [](std::string_view name) {
    auto range =
        std::equal_range(std::begin(kNicknames), std::end(kNicknames), Nickname{name, {}},
                         [](const Nickname& x, const Nickname& y) { return x.nick < y.nick; });
    return range;
  };
  const auto [a_first, a_last] = formals(a);
  const auto [b_first, b_last] = formals(b);
  // a is a nickname of b, b of a, or both are nicknames of one formal name.
  for (auto it = a_first; it != a_last; ++it) {
    if (it->formal == b) {
      return true;
    }
    for (auto jt = b_first; jt != b_last; ++jt) {
      if (it->formal == jt->formal) {
        return true;
      }
    }
  }
  for (auto jt = b_first; jt != b_last; ++jt) {
    if (jt->formal == a) {
      return true;
    }
  }
  return false;
}

bool within_one_edit(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) {
    std::swap(a, b);
  }
  if (b.size() - a.size() > 1) {
    return false;
  }
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) {
    ++i;
  }
  if (i == a.size()) {
    return true;  // equal, or one letter added at the end
  }
  if (a.size() != b.size()) {
    return a.substr(i) == b.substr(i + 1);  // one insertion
  }
  if (a.substr(i + 1) == b.substr(i + 1)) {
    return true;  // one substitution
  }
  return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
         a.substr(i + 2) == b.substr(i + 2);  // adjacent letters swapped
}

Result<Postcode> parse_postcode(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      continue;
    }
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    if (!is_upper(c) && !is_digit(c)) {
      return make_error(Errc::kBadRequest, "a postcode has only letters, digits and spaces");
    }
    s.push_back(c);
  }
  if (s.size() < 5 || s.size() > 7) {
    return make_error(Errc::kBadRequest, "a UK postcode has 5 to 7 letters and digits");
  }
  const std::string outward = s.substr(0, s.size() - 3);
  const std::string inward = s.substr(s.size() - 3);
  auto make = [&] {
    return Postcode{outward + " " + inward, outward, outward + " " + inward.substr(0, 1)};
  };
  if (s == "GIR0AA") {
    return make();  // the one historic exception (Girobank)
  }
  // https://www.gov.uk/government/publications/open-standards-for-government/uk-postcode-format
  // (BS 7666): the inward code is a digit and two letters, never C I K M O V.
  static constexpr std::string_view kNotInward = "CIKMOV";
  if (!is_digit(inward[0]) || !is_upper(inward[1]) || !is_upper(inward[2]) ||
      in(kNotInward, inward[1]) || in(kNotInward, inward[2])) {
    return make_error(Errc::kBadRequest,
                      "the inward code of a postcode is a digit and two letters (not CIKMOV)");
  }
  const std::string_view o = outward;
  const auto shape = [&] {
    std::string p;
    for (char c : o) {
      p.push_back(is_digit(c) ? '9' : 'A');
    }
    return p;
  }();
  if (shape != "A9" && shape != "A99" && shape != "AA9" && shape != "AA99" && shape != "A9A" &&
      shape != "AA9A") {
    return make_error(Errc::kBadRequest,
                      "the outward code of a postcode is A9, A99, AA9, AA99, A9A or AA9A");
  }
  if (in("QVX", o[0]) || (is_upper(o[1]) && in("IJZ", o[1]))) {
    return make_error(Errc::kBadRequest, "a postcode area cannot use these letters");
  }
  if (shape == "A9A" && !in("ABCDEFGHJKPSTUW", o[2])) {
    return make_error(Errc::kBadRequest, "the third letter of an A9A outward code is not valid");
  }
  if (shape == "AA9A" && !in("ABEHMNPRVWXY", o[3])) {
    return make_error(Errc::kBadRequest, "the fourth letter of an AA9A outward code is not valid");
  }
  return make();
}

std::string Date::str() const {
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "-" + string.
  std::string s = pad(year, 4);
  if (month != 0) {
    s.push_back('-');
    s += pad(month, 2);
    if (day != 0) {
      s.push_back('-');
      s += pad(day, 2);
    }
  }
  return s;
}

std::string Date::digits() const {
  std::string s = pad(year, 4);
  if (month != 0) {
    s += pad(month, 2);
    if (day != 0) {
      s += pad(day, 2);
    }
  }
  return s;
}

Result<Date> parse_date(std::string_view text) {
  auto bad = [] {
    return make_error(Errc::kBadRequest, "a FHIR date is yyyy, yyyy-mm or yyyy-mm-dd");
  };
  if (text.size() != 4 && text.size() != 7 && text.size() != 10) {
    return bad();
  }
  Date d;
  d.year = digits_value(text.substr(0, 4));
  if (d.year < 1) {
    return d.year == 0 ? make_error(Errc::kBadRequest, "year zero is not a FHIR date") : bad();
  }
  if (text.size() >= 7) {
    if (text[4] != '-') {
      return bad();
    }
    d.month = digits_value(text.substr(5, 2));
    if (d.month < 0) {
      return bad();
    }
    if (d.month < 1 || d.month > 12) {
      return make_error(Errc::kBadRequest, "the month of a date is 01 to 12");
    }
  }
  if (text.size() == 10) {
    if (text[7] != '-') {
      return bad();
    }
    d.day = digits_value(text.substr(8, 2));
    if (d.day < 0) {
      return bad();
    }
    if (d.day < 1 || d.day > days_in_month(d.year, d.month)) {
      return make_error(Errc::kBadRequest, "the day is out of range for the month");
    }
  }
  return d;
}

Gender parse_gender(std::string_view text) {
  std::string t;
  for (char c : text) {
    if (c != ' ') {
      t.push_back(ascii_lower(c));
    }
  }
  if (t == "male" || t == "m" || t == "1") {
    return Gender::kMale;
  }
  if (t == "female" || t == "f" || t == "2") {
    return Gender::kFemale;
  }
  // NHS Data Dictionary person gender code 9: indeterminate (unable to be classified).
  if (t == "other" || t == "o" || t == "9" || t == "i" || t == "indeterminate") {
    return Gender::kOther;
  }
  return Gender::kUnknown;
}

std::string_view gender_code(Gender g) {
  switch (g) {
    case Gender::kMale:
      return "male";
    case Gender::kFemale:
      return "female";
    case Gender::kOther:
      return "other";
    case Gender::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace gw::identity
