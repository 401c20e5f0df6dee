// The synthetic population and its labelled messages (MATCHING.md, "Synthetic population").
// Names are common UK names written for this project; postcodes are invented in real formats.
#include "gateway/identity/match_population.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "gateway/core/ascii.hpp"

namespace gw::identity::synthetic {
namespace {

// Given names, most common first (a Zipf-like weight by rank). Invented lists of common names.

constexpr auto kMaleGiven = std::to_array<std::string_view>({
    "John",      "David",    "Michael",   "James",    "Robert",   "Paul",        "Peter",
    "Andrew",    "Richard",  "Mark",      "Thomas",   "William",  "Christopher", "Daniel",
    "Stephen",   "Matthew",  "Anthony",   "George",   "Oliver",   "Jack",        "Harry",
    "Charlie",   "Joseph",   "Samuel",    "Benjamin", "Joshua",   "Jacob",       "Alexander",
    "Edward",    "Henry",    "Kevin",     "Gary",     "Ian",      "Simon",       "Martin",
    "Steven",    "Brian",    "Kenneth",   "Alan",     "Keith",    "Colin",       "Graham",
    "Neil",      "Jason",    "Lee",       "Adam",     "Ryan",     "Luke",        "Liam",
    "Connor",    "Callum",   "Kieran",    "Nathan",   "Jamie",    "Dylan",       "Ethan",
    "Noah",      "Leo",      "Oscar",     "Arthur",   "Alfie",    "Freddie",     "Theo",
    "Archie",    "Muhammad", "Mohammed",  "Ahmed",    "Ali",      "Omar",        "Yusuf",
    "Hassan",    "Ibrahim",  "Arjun",     "Rahul",    "Sanjay",   "Rajesh",      "Vikram",
    "Krishna",   "Tomasz",   "Piotr",     "Łukasz",   "Michał",   "Paweł",       "Jakub",
    "Krzysztof", "Rhys",     "Dafydd",    "Gareth",   "Huw",      "Iwan",        "Owain",
    "Emyr",      "Seán",     "Ciarán",    "Oisín",    "Declan",   "Patrick",     "Niall",
    "Cormac",    "Hamish",   "Angus",     "Fraser",   "Alasdair", "Ewan",        "Jean-Paul",
    "Jean-Luc",  "José",     "André",     "François", "Zoltán",   "Bogdan",      "Darius",
    "Kwame",     "Chinedu",  "Oluwaseun", "Tunde",    "Emeka",    "Aaron",       "Reuben",
    "Elijah",    "Isaac",    "Gabriel",   "Stanley",  "Albert",   "Frederick",   "Ernest",
    "Harold",    "Leonard",  "Norman",    "Raymond",  "Roy",      "Dennis",      "Derek",
    "Terence",   "Trevor",   "Roger",     "Philip",   "Nicholas", "Timothy",     "Jonathan",
    "Craig",     "Wayne",    "Darren",    "Dean",     "Shaun",    "Carl",
});

constexpr auto kFemaleGiven = std::to_array<std::string_view>({
    "Mary",       "Margaret",  "Susan",   "Sarah",     "Elizabeth", "Patricia",   "Linda",
    "Karen",      "Helen",     "Julie",   "Jennifer",  "Emma",      "Claire",     "Nicola",
    "Rachel",     "Laura",     "Rebecca", "Jessica",   "Charlotte", "Hannah",     "Amy",
    "Lucy",       "Sophie",    "Emily",   "Olivia",    "Amelia",    "Isla",       "Ava",
    "Mia",        "Grace",     "Lily",    "Freya",     "Ella",      "Isabella",   "Poppy",
    "Evie",       "Chloe",     "Chloé",   "Zoë",       "Renée",     "Anne-Marie", "Mary-Jane",
    "Lily-Mae",   "Ella-Rose", "Ruby",    "Florence",  "Phoebe",    "Ivy",        "Willow",
    "Rosie",      "Daisy",     "Alice",   "Catherine", "Katherine", "Kathryn",    "Joanne",
    "Michelle",   "Lisa",      "Tracey",  "Angela",    "Dawn",      "Deborah",    "Jacqueline",
    "Janet",      "Christine", "Gillian", "Pauline",   "Barbara",   "Dorothy",    "Joan",
    "Doris",      "Irene",     "Eileen",  "Maureen",   "Brenda",    "Valerie",    "Sandra",
    "Sharon",     "Wendy",     "Diane",   "Carol",     "Jean",      "Ann",        "Anne",
    "Fatima",     "Aisha",     "Maryam",  "Zainab",    "Ayesha",    "Hafsa",      "Khadija",
    "Priya",      "Anjali",    "Sunita",  "Deepa",     "Kavita",    "Agnieszka",  "Katarzyna",
    "Małgorzata", "Zofia",     "Anna",    "Magdalena", "Siân",      "Bethan",     "Ffion",
    "Cerys",      "Angharad",  "Gwen",    "Niamh",     "Aoife",     "Siobhán",    "Saoirse",
    "Róisín",     "Caoimhe",   "Fiona",   "Morag",     "Eilidh",    "Kirsty",     "Ailsa",
    "Inés",       "María",     "Héloïse", "Amélie",    "Chiamaka",  "Ngozi",      "Adaeze",
    "Abena",      "Esther",    "Miriam",  "Naomi",     "Ruth",      "Victoria",   "Natalie",
    "Samantha",   "Louise",    "Kelly",   "Stacey",    "Gemma",     "Leanne",     "Hayley",
    "Jade",       "Danielle",  "Abigail", "Eleanor",   "Alexandra",
});

// Family names, most common first; surnames with particles are drawn from kFamilyWithParticle.

constexpr auto kFamily = std::to_array<std::string_view>({
    "Smith",      "Jones",     "Williams",   "Taylor",      "Brown",     "Davies",     "Evans",
    "Wilson",     "Thomas",    "Johnson",    "Roberts",     "Robinson",  "Thompson",   "Wright",
    "Walker",     "White",     "Edwards",    "Hughes",      "Green",     "Hall",       "Lewis",
    "Harris",     "Clarke",    "Patel",      "Jackson",     "Wood",      "Turner",     "Martin",
    "Cooper",     "Hill",      "Ward",       "Morris",      "Moore",     "Clark",      "Lee",
    "King",       "Baker",     "Harrison",   "Morgan",      "Allen",     "James",      "Scott",
    "Phillips",   "Watson",    "Davis",      "Parker",      "Price",     "Bennett",    "Young",
    "Griffiths",  "Mitchell",  "Kelly",      "Cook",        "Carter",    "Richardson", "Bailey",
    "Collins",    "Bell",      "Shaw",       "Murphy",      "Miller",    "Cox",        "Richards",
    "Khan",       "Marshall",  "Anderson",   "Simpson",     "Ellis",     "Adams",      "Singh",
    "Begum",      "Wilkinson", "Foster",     "Chapman",     "Powell",    "Webb",       "Rogers",
    "Gray",       "Mason",     "Ali",        "Hunt",        "Hussain",   "Campbell",   "Matthews",
    "Owen",       "Palmer",    "Holmes",     "Mills",       "Barnes",    "Knight",     "Lloyd",
    "Butler",     "Russell",   "Barker",     "Fisher",      "Stevens",   "Jenkins",    "Murray",
    "Dixon",      "Harvey",    "Graham",     "Pearson",     "Ahmed",     "Fletcher",   "Walsh",
    "Kaur",       "Gibson",    "Howard",     "Andrews",     "Stewart",   "Elliott",    "Reynolds",
    "Saunders",   "Payne",     "Fox",        "Ford",        "Pearce",    "Day",        "Brooks",
    "West",       "Lawrence",  "Cole",       "Atkinson",    "Bradley",   "Spencer",    "Gill",
    "Dawson",     "Ball",      "Burton",     "O'Brien",     "Watts",     "Rose",       "Booth",
    "Perry",      "Ryan",      "Grant",      "Wells",       "Armstrong", "Francis",    "Rees",
    "Hayes",      "Hart",      "Hudson",     "Newman",      "Barrett",   "Webster",    "Hunter",
    "Gregory",    "Carr",      "Lowe",       "Page",        "Marsh",     "Riley",      "Dunn",
    "Woods",      "Parsons",   "Berry",      "Stone",       "Reid",      "Holland",    "Hawkins",
    "Harding",    "Porter",    "Robertson",  "Newton",      "Oliver",    "Reed",       "Kennedy",
    "Williamson", "Bird",      "Gardner",    "Shah",        "Dean",      "Lane",       "Cooke",
    "Bates",      "Henderson", "Parry",      "Burgess",     "Bishop",    "Walton",     "Burns",
    "Nicholson",  "Shepherd",  "Ross",       "Cross",       "Long",      "Freeman",    "Warren",
    "Nicholls",   "Hamilton",  "Byrne",      "Sutton",      "McDonald",  "MacDonald",  "Yates",
    "Hodgson",    "Robson",    "Curtis",     "Hopkins",     "O'Connor",  "Harper",     "Coleman",
    "Watkins",    "Moss",      "McCarthy",   "Chambers",    "O'Neill",   "Griffin",    "Sharp",
    "Hardy",      "Wheeler",   "Potter",     "Osborne",     "Johnston",  "Gordon",     "Doyle",
    "Wallace",    "George",    "Jordan",     "Hutchinson",  "Rowe",      "Burke",      "May",
    "Pritchard",  "Gilbert",   "Willis",     "Higgins",     "Read",      "Miles",      "Stevenson",
    "Stephenson", "Hammond",   "Arnold",     "Buckley",     "Walters",   "Hewitt",     "Barber",
    "Nelson",     "Slater",    "Austin",     "Sullivan",    "Whitehead", "Mann",       "Frost",
    "Lambert",    "Stephens",  "Blake",      "Akhtar",      "Lynch",     "Goodwin",    "Barton",
    "Woodward",   "Thomson",   "Cunningham", "Quinn",       "Barnett",   "Baxter",     "Bibi",
    "Clayton",    "Nash",      "Greenwood",  "Jennings",    "Holt",      "Kemp",       "Poole",
    "Gallagher",  "Bond",      "Stokes",     "Tucker",      "Davidson",  "Fowler",     "Heath",
    "Norman",     "Middleton", "Lawson",     "Banks",       "French",    "Stanley",    "Jarvis",
    "Gibbs",      "Ferguson",  "Hayward",    "Carroll",     "Atkins",    "Nowak",      "Kowalski",
    "Wiśniewski", "Wójcik",    "Kowalczyk",  "Lewandowski", "Zieliński", "Müller",     "García",
    "López",      "Fernández", "Núñez",      "Gonçalves",   "Pereira",   "Rodrigues",  "Nguyen",
    "Chen",       "Wang",      "Okafor",     "Adeyemi",     "Mensah",    "Owusu",      "Çelik",
    "Yılmaz",     "Öztürk",
});

constexpr auto kFamilyWithParticle = std::to_array<std::string_view>({
    "Da Silva",
    "De Souza",
    "Van der Berg",
    "Le Page",
    "Ó Ceallaigh",
    "Ap Rhys",
});

// Postcode areas (the letters only; districts, sectors and units below are invented).
constexpr auto kAreas = std::to_array<std::string_view>({
    "AB", "AL", "B",  "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "CA", "CB", "CF", "CH", "CM",
    "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DH", "DL", "DN", "DT", "DY", "E",  "EC", "EH",
    "EN", "EX", "FK", "FY", "G",  "GL", "GU", "HA", "HD", "HG", "HP", "HR", "HU", "HX", "IG", "IP",
    "KT", "L",  "LA", "LE", "LL", "LN", "LS", "LU", "M",  "ME", "MK", "N",  "NE", "NG", "NN", "NP",
    "NR", "NW", "OL", "OX", "PE", "PL", "PO", "PR", "RG", "RH", "RM", "S",  "SE", "SG", "SK", "SL",
    "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY", "TA", "TF", "TN", "TQ", "TR", "TS", "TW",
    "UB", "W",  "WA", "WD", "WF", "WN", "WR", "WS", "WV", "YO",
});

// Twelve units a sector, so several households share each postcode.
constexpr auto kUnits = std::to_array<std::string_view>(
    {"AB", "AD", "BE", "BN", "DF", "EH", "GJ", "HL", "JP", "LQ", "NW", "PZ"});

// Nicknames a clerk or a patient might use (the generator's own list: some are deliberately
// missing from the matcher's table, as real nicknames would be).
struct Nick {
  std::string_view formal;
  std::string_view nick;
};
constexpr Nick kNicks[] = {
    {"William", "Bill"},   {"William", "Will"},     {"William", "Liam"},
    {"Robert", "Bob"},     {"Robert", "Rob"},       {"Elizabeth", "Liz"},
    {"Elizabeth", "Beth"}, {"Elizabeth", "Libby"},  {"Margaret", "Maggie"},
    {"Margaret", "Peggy"}, {"James", "Jim"},        {"James", "Jamie"},
    {"John", "Jack"},      {"John", "Johnny"},      {"Michael", "Mike"},
    {"Michael", "Mick"},   {"Thomas", "Tom"},       {"Christopher", "Chris"},
    {"Katherine", "Kate"}, {"Katherine", "Katie"},  {"Catherine", "Cathy"},
    {"Richard", "Rich"},   {"Richard", "Dick"},     {"Daniel", "Dan"},
    {"Daniel", "Danny"},   {"David", "Dave"},       {"Samuel", "Sam"},
    {"Benjamin", "Ben"},   {"Alexander", "Alex"},   {"Anthony", "Tony"},
    {"Andrew", "Andy"},    {"Edward", "Ed"},        {"Edward", "Ted"},
    {"Henry", "Harry"},    {"Joseph", "Joe"},       {"Matthew", "Matt"},
    {"Nicholas", "Nick"},  {"Patrick", "Paddy"},    {"Peter", "Pete"},
    {"Philip", "Phil"},    {"Stephen", "Steve"},    {"Steven", "Steve"},
    {"Timothy", "Tim"},    {"Jennifer", "Jenny"},   {"Rebecca", "Becky"},
    {"Jessica", "Jess"},   {"Victoria", "Vicky"},   {"Victoria", "Tori"},
    {"Samantha", "Sam"},   {"Charlotte", "Lottie"}, {"Olivia", "Liv"},
    {"Isabella", "Izzy"},  {"Alexandra", "Lexi"},   {"Gillian", "Gill"},
    {"Susan", "Sue"},      {"Deborah", "Debbie"},   {"Jacqueline", "Jackie"},
    {"Frederick", "Fred"}, {"Albert", "Bert"},      {"Leonard", "Len"},
    {"Kenneth", "Ken"},    {"Raymond", "Ray"},      {"Jonathan", "Jon"},
    {"Joshua", "Josh"},    {"Oliver", "Ollie"},     {"Amelia", "Millie"},
    {"Eleanor", "Ellie"},  {"Florence", "Flo"},     {"Dorothy", "Dot"},
    {"Patricia", "Trish"}, {"Abigail", "Abby"},     {"Terence", "Terry"},
};

constexpr std::string_view kSources[] = {"gp", "acute", "mental-health", "social-care", "111"};

/** Zipf: picks an index of a list with weight 1 / (rank + offset), so the first names are common
 * (offset 25 gives the first surname 1.5%, near Smith's 1.26% in England and Wales). */
class Zipf {
public:
  Zipf(std::size_t n, double offset) {
    double sum = 0;
    cumulative_.reserve(n);
    for (std::size_t r = 0; r < n; ++r) {
      sum += 1.0 / (static_cast<double>(r) + offset);
      cumulative_.push_back(sum);
    }
  }
  std::size_t pick(Rng& rng) const {
    const double x = rng.uniform() * cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
    return std::min(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
  }

private:
  std::vector<double> cumulative_;
};

int days_in_month(int year, int month) {
  static constexpr auto kDays = std::to_array({31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31});
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

bool valid_date(const Date& d) {
  return d.year >= 1900 && d.year <= 2025 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= days_in_month(d.year, d.month);
}

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

/** ascii_only: a name as a system without accents stores it ("Zoë" → "Zoe"). */
std::string ascii_only(std::string_view name) {
  std::string out;
  bool start = true;
  for (char c : fold_text(name)) {
    if (c == ' ') {
      out.push_back('-');  // fold_text turned the hyphen into a space; put it back
      start = true;
      continue;
    }
    out.push_back(start && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    start = false;
  }
  return out;
}

/** typo: one keyboard slip in the ASCII letters of a name (substitute, delete, insert, swap). */
std::string typo(const std::string& name, Rng& rng) {
  std::vector<std::size_t> letters;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (is_ascii_letter(name[i])) {
      letters.push_back(i);
    }
  }
  if (letters.size() < 3) {
    return name + "e";
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string s = name;
    // Most slips are after the first letter, which people check.
    const std::size_t k = rng.chance(0.1) ? 0 : 1 + rng.below(letters.size() - 1);
    const std::size_t i = letters[k];
    const char lower = static_cast<char>('a' + rng.below(26));
    const bool cap = s[i] >= 'A' && s[i] <= 'Z';
    switch (rng.below(4)) {
      case 0:
        s[i] = cap ? static_cast<char>(lower - 'a' + 'A') : lower;
        break;
      case 1:
        s.erase(i, 1);
        break;
      case 2:
        s.insert(i, 1, ascii_lower(s[i]));
        break;
      default:
        if (k + 1 < letters.size() && letters[k + 1] == i + 1) {
          std::swap(s[i], s[i + 1]);
        }
        break;
    }
    if (s != name && !s.empty()) {
      return s;
    }
  }
  return name + "e";
}

Date random_birth_date(int year, Rng& rng) {
  Date d{year, rng.between(1, 12), 1};
  d.day = rng.between(1, days_in_month(d.year, d.month));
  return d;
}

/** Names: the name lists with their Zipf samplers. */
struct Names {
  Zipf male{kMaleGiven.size(), 10};
  Zipf female{kFemaleGiven.size(), 10};
  Zipf family{kFamily.size(), 25};

  std::string given(Gender g, Rng& rng) const {
    return std::string(g == Gender::kMale ? kMaleGiven[male.pick(rng)]
                                          : kFemaleGiven[female.pick(rng)]);
  }
  std::string surname(Rng& rng) const {
    const double x = rng.uniform();
    if (x < 0.04) {  // double-barrelled, hyphenated
      return std::string(kFamily[family.pick(rng)]) + "-" + std::string(kFamily[family.pick(rng)]);
    }
    if (x < 0.05) {  // double-barrelled, unhyphenated
      return std::string(kFamily[family.pick(rng)]) + " " + std::string(kFamily[family.pick(rng)]);
    }
    if (x < 0.06) {
      return std::string(kFamilyWithParticle[rng.below(kFamilyWithParticle.size())]);
    }
    return std::string(kFamily[family.pick(rng)]);
  }
  std::vector<std::string> given_names(Gender g, Rng& rng) const {
    std::vector<std::string> v{given(g, rng)};
    if (rng.chance(0.6)) {
      std::string middle = given(g, rng);
      if (middle != v.front()) {
        v.push_back(std::move(middle));
      }
    }
    return v;
  }
};

const Names& names() {
  static const Names kNames;  // constant tables, built once
  return kNames;
}

std::string random_postcode(Rng& rng) {
  const std::string_view area = kAreas[rng.below(kAreas.size())];
  // Districts cluster: low numbers are more common (busy areas have few, big districts here).
  const int district = 1 + static_cast<int>(rng.below(12) + rng.below(12)) / 2;
  std::string outward = std::string(area) + std::to_string(district);
  if (district == 1 && (area == "EC" || area == "SW" || area == "W" || area == "WC") &&
      rng.chance(0.5)) {
    outward.push_back(area.size() == 1 ? "ABCDEFGHJKPSTUW"[rng.below(15)]
                                       : "ABEHMNPRVWXY"[rng.below(12)]);
  }
  return outward + " " + std::to_string(rng.below(10)) +
         std::string(kUnits[rng.below(kUnits.size())]);
}

/** moved_postcode: a new address: in the same sector (a local move) or anywhere. */
std::string moved_postcode(const std::string& old, Rng& rng) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string pc;
    if (!old.empty() && rng.chance(0.3)) {
      pc = old.substr(0, old.size() - 2) + std::string(kUnits[rng.below(kUnits.size())]);
    } else {
      pc = random_postcode(rng);
    }
    if (pc != old) {
      return pc;
    }
  }
  return random_postcode(rng);
}

Gender gender_of(const Demographics& d) { return parse_gender(d.gender); }

Demographics make_person(Gender g, std::string family, const Date& dob, std::string postcode,
                         Rng& rng) {
  Demographics d;
  d.given = names().given_names(g, rng);
  d.family = std::move(family);
  d.birth_date = dob;
  d.gender = std::string(gender_code(g));
  d.postcode = std::move(postcode);
  return d;
}

std::optional<std::string> nickname_for(const std::string& given, Rng& rng) {
  std::vector<std::string_view> options;
  for (const auto& n : kNicks) {
    if (n.formal == given) {
      options.push_back(n.nick);
    }
  }
  if (options.empty()) {
    return std::nullopt;
  }
  return std::string(options[rng.below(options.size())]);
}

/** other_given: a given name for a twin: none of the sibling's given names, nor a spelling or
 * nickname of one (parents do not name twins Ann and Anne). */
std::string other_given(Gender g, const std::vector<std::string>& sibling, Rng& rng) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string name = names().given(g, rng);
    const std::string folded = joined_name(name);
    const bool clash = std::any_of(sibling.begin(), sibling.end(), [&](const std::string& s) {
      const std::string other = joined_name(s);
      return folded == other || nysiis(folded) == nysiis(other) ||
             nickname_equivalent(folded, other);
    });
    if (!clash) {
      return name;
    }
  }
  return g == Gender::kMale ? "Zachary" : "Zara";
}

bool birth_date_digit_error(Demographics& d, Rng& rng) {
  if (!d.birth_date) {
    return false;
  }
  const std::string digits = d.birth_date->digits();
  for (int attempt = 0; attempt < 32; ++attempt) {
    std::string s = digits;
    const std::size_t i = 2 + rng.below(6);  // a slip in the decade, year, month or day
    s[i] = static_cast<char>('0' + rng.below(10));
    Date nd{std::stoi(s.substr(0, 4)), std::stoi(s.substr(4, 2)), std::stoi(s.substr(6, 2))};
    if (s != digits && valid_date(nd) && nd.year <= 2024) {
      d.birth_date = nd;
      return true;
    }
  }
  return false;
}

void apply_formatting(Demographics& d, Rng& rng) {
  // What other systems do to the same details: capitals, titles, no accents, no apostrophes.
  if (rng.chance(0.5)) {
    d.family = upper(ascii_only(d.family));
  } else {
    std::erase(d.family, '\'');
  }
  if (!d.given.empty()) {
    if (rng.chance(0.5)) {
      d.given.front() = ascii_only(d.given.front());
    }
    if (rng.chance(0.5)) {
      const Gender g = gender_of(d);
      d.given.front() = std::string(g == Gender::kMale ? "Mr "
                                    : rng.chance(0.5)  ? "Mrs "
                                                       : "Ms ") +
                        d.given.front();
    }
  }
  if (!d.postcode.empty()) {
    std::string pc;
    for (char c : d.postcode) {
      if (c != ' ') {
        pc.push_back(ascii_lower(c));
      }
    }
    d.postcode = pc;
  }
}

/** apply: one error of `kind` to a person's details; false if it does not apply to them. */
bool apply(MessageKind kind, Demographics& d, std::span<const Person> people, Rng& rng) {
  switch (kind) {
    case MessageKind::kClean:
    case MessageKind::kMissingNhsNumber:
      return true;
    case MessageKind::kFamilyTypo:
      d.family = typo(d.family, rng);
      return true;
    case MessageKind::kGivenTypo:
      if (d.given.empty()) {
        return false;
      }
      d.given.front() = typo(d.given.front(), rng);
      return true;
    case MessageKind::kTransposedBirthDate:
      if (!d.birth_date || d.birth_date->day > 12 || d.birth_date->day == d.birth_date->month) {
        return false;
      }
      std::swap(d.birth_date->day, d.birth_date->month);
      return true;
    case MessageKind::kBirthDateDigit:
      return birth_date_digit_error(d, rng);
    case MessageKind::kNickname: {
      if (d.given.empty()) {
        return false;
      }
      auto nick = nickname_for(d.given.front(), rng);
      if (!nick) {
        return false;
      }
      d.given = {*nick};
      return true;
    }
    case MessageKind::kInitial:
      if (d.given.empty() || d.given.front().empty()) {
        return false;
      }
      d.given = {upper(d.given.front().substr(0, 1))};
      return true;
    case MessageKind::kMarriedPreviousKnown:
    case MessageKind::kMarriedPreviousUnknown: {
      const std::string old = d.family;
      do {
        d.family = names().surname(rng);
      } while (d.family == old);
      d.previous_families.clear();
      if (kind == MessageKind::kMarriedPreviousKnown) {
        d.previous_families.push_back(old);
      }
      if (rng.chance(0.4)) {
        d.postcode = moved_postcode(d.postcode, rng);  // often moved house too
      }
      return true;
    }
    case MessageKind::kHyphenVariant: {
      const auto sep = d.family.find_first_of("- ");
      if (sep == std::string::npos || d.family.find_first_of("- ", sep + 1) != std::string::npos ||
          is_name_particle(fold_text(d.family.substr(0, sep)))) {
        return false;  // only double-barrelled names of two parts
      }
      switch (rng.below(4)) {
        case 0:
          d.family[sep] = d.family[sep] == '-' ? ' ' : '-';
          break;
        case 1:
          d.family.erase(sep, 1);
          break;
        case 2:
          d.family = d.family.substr(0, sep);
          break;
        default:
          d.family = d.family.substr(sep + 1);
          break;
      }
      return true;
    }
    case MessageKind::kFormatting:
      apply_formatting(d, rng);
      return true;
    case MessageKind::kMissingPostcode:
      if (d.postcode.empty()) {
        return false;
      }
      d.postcode.clear();
      return true;
    case MessageKind::kMovedPostcode:
      d.postcode = moved_postcode(d.postcode, rng);
      return true;
    case MessageKind::kWrongNhsNumber: {
      // A real number of somebody else: the hardest kind of wrong number.
      for (int attempt = 0; attempt < 16; ++attempt) {
        const Person& other = people[rng.below(people.size())];
        if (other.demographics.nhs_number && other.demographics.nhs_number != d.nhs_number) {
          d.nhs_number = other.demographics.nhs_number;
          d.nhs_status = rng.chance(0.5) ? VerificationStatus::kPresentVerified
                                         : VerificationStatus::kPresentNotTraced;
          return true;
        }
      }
      return false;
    }
    case MessageKind::kAmbulanceApproximateAge:
    case MessageKind::kNewPerson:
    case MessageKind::kTwinNotRegistered:
    case MessageKind::kAmbulanceUnknownPerson:
      break;
  }
  return false;
}

/** ambulance: what a crew records: a name, an estimated age, often the sex; nothing else. */
Demographics ambulance(const Demographics& d, Rng& rng) {
  Demographics a;
  if (!d.given.empty()) {
    a.given = {d.given.front()};
    if (rng.chance(0.2)) {
      if (auto nick = nickname_for(d.given.front(), rng)) {
        a.given = {*nick};
      }
    }
  }
  a.family = d.family;
  if (d.birth_date) {
    a.birth_date = Date{d.birth_date->year + rng.between(-3, 3), 0, 0};
    a.birth_year_tolerance = 5;
  }
  if (rng.chance(0.9)) {
    a.gender = d.gender;
  }
  return a;
}

Demographics new_person(Rng& rng) {
  const Gender g = rng.chance(0.5) ? Gender::kMale : Gender::kFemale;
  return make_person(g, names().surname(rng), random_birth_date(rng.between(1930, 2024), rng),
                     random_postcode(rng), rng);
}

// Message mix per 1000 (MATCHING.md).
struct KindWeight {
  MessageKind kind;
  int per_mille;
};
constexpr KindWeight kMix[] = {
    {MessageKind::kClean, 70},
    {MessageKind::kFamilyTypo, 80},
    {MessageKind::kGivenTypo, 80},
    {MessageKind::kTransposedBirthDate, 60},
    {MessageKind::kBirthDateDigit, 60},
    {MessageKind::kNickname, 60},
    {MessageKind::kInitial, 40},
    {MessageKind::kMarriedPreviousKnown, 40},
    {MessageKind::kMarriedPreviousUnknown, 30},
    {MessageKind::kHyphenVariant, 40},
    {MessageKind::kFormatting, 50},
    {MessageKind::kMissingPostcode, 70},
    {MessageKind::kMovedPostcode, 60},
    {MessageKind::kMissingNhsNumber, 50},
    {MessageKind::kWrongNhsNumber, 50},
    {MessageKind::kAmbulanceApproximateAge, 40},
    {MessageKind::kNewPerson, 70},
    {MessageKind::kTwinNotRegistered, 40},
    {MessageKind::kAmbulanceUnknownPerson, 10},
};

MessageKind pick_kind(Rng& rng) {
  int x = static_cast<int>(rng.below(1000));
  for (const auto& k : kMix) {
    if (x < k.per_mille) {
      return k.kind;
    }
    x -= k.per_mille;
  }
  return MessageKind::kClean;
}

// Second errors added to 15% of messages about registered people.
constexpr MessageKind kSecondErrors[] = {MessageKind::kMissingPostcode, MessageKind::kMovedPostcode,
                                         MessageKind::kGivenTypo, MessageKind::kFamilyTypo,
                                         MessageKind::kFormatting};

}  // namespace

std::uint64_t Rng::next() {
  // SplitMix64 (Steele, Lea, Flood 2014), constants from the paper.
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t Rng::below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }

int Rng::between(int lo, int hi) {
  // The span is computed in 64 bits so that a full int range cannot overflow.
  const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo + 1);
  return lo + static_cast<int>(below(span));
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

bool Rng::chance(double p) { return uniform() < p; }

std::optional<NhsNumber> TestNhsNumbers::next() {
  while (stem_ <= 999999999U) {
    const std::string stem = std::to_string(stem_++);
    const int check = NhsNumber::check_digit(stem);
    if (check >= 0) {
      if (auto n = NhsNumber::parse(stem + static_cast<char>('0' + check))) {
        return *n;
      }
    }
  }
  return std::nullopt;
}

std::string_view message_kind_name(MessageKind k) {
  switch (k) {
    case MessageKind::kClean:
      return "clean";
    case MessageKind::kFamilyTypo:
      return "family-typo";
    case MessageKind::kGivenTypo:
      return "given-typo";
    case MessageKind::kTransposedBirthDate:
      return "transposed-birth-date";
    case MessageKind::kBirthDateDigit:
      return "birth-date-digit";
    case MessageKind::kNickname:
      return "nickname";
    case MessageKind::kInitial:
      return "initial";
    case MessageKind::kMarriedPreviousKnown:
      return "married-previous-known";
    case MessageKind::kMarriedPreviousUnknown:
      return "married-previous-unknown";
    case MessageKind::kHyphenVariant:
      return "hyphen-variant";
    case MessageKind::kFormatting:
      return "formatting";
    case MessageKind::kMissingPostcode:
      return "missing-postcode";
    case MessageKind::kMovedPostcode:
      return "moved-postcode";
    case MessageKind::kMissingNhsNumber:
      return "missing-nhs-number";
    case MessageKind::kWrongNhsNumber:
      return "wrong-nhs-number";
    case MessageKind::kAmbulanceApproximateAge:
      return "ambulance-approximate-age";
    case MessageKind::kNewPerson:
      return "new-person";
    case MessageKind::kTwinNotRegistered:
      return "twin-not-registered";
    case MessageKind::kAmbulanceUnknownPerson:
      return "ambulance-unknown-person";
  }
  return "unknown";
}

std::vector<Person> generate_people(std::size_t count, std::uint64_t seed) {
  std::vector<Person> people;
  people.reserve(count);
  Rng rng(seed);
  TestNhsNumbers numbers;
  std::uint32_t household = 0;
  auto add = [&](Demographics d) {
    if (people.size() >= count) {
      return;
    }
    if (auto n = numbers.next()) {
      d.nhs_number = *n;
      d.nhs_status = rng.chance(0.97) ? VerificationStatus::kPresentVerified
                                      : VerificationStatus::kPresentNotTraced;
    }
    people.push_back(Person{static_cast<std::uint32_t>(people.size()), household, std::move(d)});
  };
  while (people.size() < count) {
    ++household;
    const std::string postcode = random_postcode(rng);
    const std::string family = names().surname(rng);
    const double size_pick = rng.uniform();
    const int size = size_pick < 0.30   ? 1
                     : size_pick < 0.64 ? 2
                     : size_pick < 0.80 ? 3
                     : size_pick < 0.94 ? 4
                                        : 5;
    const Gender g1 = rng.chance(0.5) ? Gender::kMale : Gender::kFemale;
    const int year1 = rng.between(1930, 2004);
    add(make_person(g1, family, random_birth_date(year1, rng), postcode, rng));
    int children = size - 1;
    std::string partner_family = family;
    if (size >= 2 && rng.chance(0.8)) {
      --children;
      const Gender g2 =
          rng.chance(0.93) ? (g1 == Gender::kMale ? Gender::kFemale : Gender::kMale) : g1;
      const int year2 = std::clamp(year1 + rng.between(-6, 6), 1930, 2004);
      Demographics partner = make_person(g2, family, random_birth_date(year2, rng), postcode, rng);
      if (rng.chance(0.3)) {
        partner.family = names().surname(rng);  // kept their own surname
        partner_family = partner.family;
      } else if (rng.chance(0.6)) {
        partner.previous_families.push_back(names().surname(rng));  // maiden name on record
      }
      add(std::move(partner));
    }
    const int first_child_year = std::min(2024, year1 + rng.between(20, 40));
    for (int c = 0; c < children && people.size() < count; ++c) {
      const Gender g = rng.chance(0.5) ? Gender::kMale : Gender::kFemale;
      const int year = std::min(2024, first_child_year + c * rng.between(1, 4));
      std::string child_family = family;
      if (partner_family != family && rng.chance(0.2)) {
        child_family = family + "-" + partner_family;
      }
      const Date dob = random_birth_date(year, rng);
      Demographics child = make_person(g, child_family, dob, postcode, rng);
      const std::vector<std::string> sibling_given = child.given;
      add(std::move(child));
      if (c + 1 < children && rng.chance(0.04)) {
        ++c;  // twins: same surname, birth date and postcode, different given name
        const Gender tg = rng.chance(0.5) ? Gender::kMale : Gender::kFemale;
        Demographics twin = make_person(tg, child_family, dob, postcode, rng);
        twin.given.front() = other_given(tg, sibling_given, rng);
        add(std::move(twin));
      }
    }
  }
  return people;
}

std::vector<LabelledMessage> generate_messages(std::span<const Person> people, std::size_t count,
                                               std::uint64_t seed) {
  std::vector<LabelledMessage> messages;
  messages.reserve(count);
  Rng rng(seed ^ 0x6D657373616765ULL);  // a stream apart from the population's
  for (std::size_t i = 0; i < count && !people.empty(); ++i) {
    LabelledMessage m;
    m.id = static_cast<std::uint32_t>(i);
    m.kind = pick_kind(rng);
    m.source = kSources[rng.below(std::size(kSources))];
    if (m.kind == MessageKind::kNewPerson) {
      m.demographics = new_person(rng);
    } else if (m.kind == MessageKind::kAmbulanceUnknownPerson) {
      m.demographics = ambulance(new_person(rng), rng);
      m.source = "ambulance";
    } else if (m.kind == MessageKind::kTwinNotRegistered) {
      const std::size_t at = rng.below(people.size());
      const Person& sibling = people[at];
      Demographics d = sibling.demographics;
      const Gender g = rng.chance(0.5) ? Gender::kMale : Gender::kFemale;
      // Not a name anyone in the household already has (people are stored household by
      // household, so the household is the run of neighbours with the same number).
      std::vector<std::string> taken;
      for (std::size_t j = at; j > 0 && people[j - 1].household == sibling.household; --j) {
        taken.insert(taken.end(), people[j - 1].demographics.given.begin(),
                     people[j - 1].demographics.given.end());
      }
      for (std::size_t j = at; j < people.size() && people[j].household == sibling.household; ++j) {
        taken.insert(taken.end(), people[j].demographics.given.begin(),
                     people[j].demographics.given.end());
      }
      d.given = {other_given(g, taken, rng)};
      d.gender = std::string(gender_code(g));
      d.nhs_number.reset();
      d.previous_families.clear();
      m.demographics = std::move(d);
    } else {
      const Person& p = people[rng.below(people.size())];
      m.truth = p.id;
      Demographics d = p.demographics;
      if (m.kind == MessageKind::kAmbulanceApproximateAge) {
        m.demographics = ambulance(d, rng);
        m.source = "ambulance";
        messages.push_back(std::move(m));
        continue;
      }
      // The matcher is for messages without a (trustworthy) NHS number: most carry none.
      if (m.kind == MessageKind::kMissingNhsNumber || !rng.chance(0.2)) {
        d.nhs_number.reset();
      }
      d.previous_families.clear();  // senders rarely know the previous surname
      if (rng.chance(0.3) && d.given.size() > 1) {
        d.given.resize(1);  // middle names dropped
      }
      if (!apply(m.kind, d, people, rng)) {
        // The error does not fit this person (no hyphen, day > 12...): a near one instead.
        m.kind = m.kind == MessageKind::kTransposedBirthDate ? MessageKind::kBirthDateDigit
                 : m.kind == MessageKind::kNickname          ? MessageKind::kInitial
                                                             : MessageKind::kFormatting;
        if (!apply(m.kind, d, people, rng)) {
          m.kind = MessageKind::kClean;
        }
      }
      if (m.kind == MessageKind::kWrongNhsNumber) {
        m.source = "acute";
      }
      if (rng.chance(0.15)) {
        const MessageKind second = kSecondErrors[rng.below(std::size(kSecondErrors))];
        if (second != m.kind && apply(second, d, people, rng)) {
          m.second = second;
        }
      }
      m.demographics = std::move(d);
    }
    messages.push_back(std::move(m));
  }
  return messages;
}

}  // namespace gw::identity::synthetic
