// EMIS XML extract parser (emis_xml.hpp). The extract is read by the reader of xml_reader.hpp
// (no DTD: a DOCTYPE is refused; no entities beyond XML's five; nothing fetched; depth and size
// bounded) into its element tree, which is then read element by element with a sticky first
// error.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "adapters/emis/common.hpp"
#include "adapters/emis/emis_xml.hpp"
#include "adapters/emis/view_set.hpp"
#include "adapters/emis/xml_reader.hpp"
#include "gateway/core/bytes.hpp"
#include "gateway/fhir/datetime.hpp"

namespace gw::adapters::emis::xml {
namespace {

// ---- the checks before the parse ---------------------------------------------------------------

/** check_utf8: the extract is UTF-8 (a BOM allowed); another declared encoding is refused. */
Result<void> check_utf8(std::string_view s) {
  if (s.starts_with("\xEF\xBB\xBF")) {
    s.remove_prefix(3);
  }
  if (s.empty() || (s[0] != '<' && s[0] != ' ' && s[0] != '\t' && s[0] != '\r' && s[0] != '\n') ||
      (s.size() > 1 && s[1] == '\0')) {
    return detail::located(Errc::kBadRequest, "/", "the extract is not UTF-8 XML");
  }
  if (!s.starts_with("<?xml")) {
    return {};
  }
  std::string_view decl = s.substr(0, std::min<std::size_t>(s.find("?>"), 512));
  std::size_t pos = decl.find("encoding");
  if (pos == std::string_view::npos) {
    return {};
  }
  decl.remove_prefix(pos + 8);
  while (!decl.empty() && (decl[0] == ' ' || decl[0] == '=' || decl[0] == '\t' || decl[0] == '\r' ||
                           decl[0] == '\n')) {
    decl.remove_prefix(1);
  }
  if (decl.empty() || (decl[0] != '"' && decl[0] != '\'')) {
    return {};
  }
  const char quote = decl[0];
  decl.remove_prefix(1);
  std::string name(decl.substr(0, decl.find(quote)));
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  if (name != "UTF-8" && name != "UTF8") {
    return detail::located(Errc::kBadRequest, "/",
                           "the extract declares an encoding other than UTF-8");
  }
  return {};
}

/** prechecks: size, emptiness and encoding, before any parse. */
Result<void> prechecks(std::string_view text, const XmlLimits& limits) {
  if (text.size() > limits.max_bytes || text.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(Errc::kPayloadTooLarge, "/: the extract is larger than " +
                                                  std::to_string(limits.max_bytes) + " bytes");
  }
  if (text.empty()) {
    return detail::located(Errc::kBadRequest, "/", "the extract is empty");
  }
  return check_utf8(text);
}

using Node = XmlNode;

/** read_document: the checks above, then the extract's element tree (xml_reader.hpp). */
Result<XmlDocument> read_document(std::string_view text, const XmlLimits& limits) {
  if (auto r = prechecks(text, limits); !r) {
    return r.error();
  }
  return read_xml(text, limits.max_depth);
}

// ---- reading the tree ---------------------------------------------------------------------------

/** Choice: one value of a closed list, as the error names it and as it is read (lower case). */
struct Choice {
  std::string_view shown;
  std::string_view value;
};
using Choices = std::span<const Choice>;

/** trim_xml_space: `s` without XML white space (space, tab, CR, LF) at either end (inline: the
 *  standard find_first_not_of calls memchr for each byte). */
constexpr std::string_view trim_xml_space(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && space(s[b])) {
    ++b;
  }
  while (e > b && space(s[e - 1])) {
    --e;
  }
  return s.substr(b, e - b);
}

/** lower: ASCII lower case (the closed lists and GUIDs are ASCII; std::tolower is a call). */
constexpr char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

/** equal_ignoring_case: ASCII case-insensitive equality. */
bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

/** CaselessHash / CaselessEqual: GUIDs compare without regard to case. */
struct CaselessHash {
  std::size_t operator()(std::string_view s) const {
    std::uint64_t h = 14695981039346656037ULL;
    for (char c : s) {
      h = (h ^ static_cast<unsigned char>(lower(c))) * 1099511628211ULL;
    }
    return static_cast<std::size_t>(h);
  }
};
struct CaselessEqual {
  bool operator()(std::string_view a, std::string_view b) const {
    return equal_ignoring_case(a, b);
  }
};

/** Reader: reads elements with a sticky first error, so each reading function stays short.
 *  Paths are made only for an error, except the entries' own (which the adapter keeps). */
class Reader {
public:
  /** `bytes`: the extract's size, for room for its GUIDs (an entry with one takes well over
   *  128 bytes), so the set is not rebuilt as it grows. */
  Reader(const XmlLimits& limits, std::size_t bytes) : limits_(limits) {
    guids_.reserve(std::min<std::size_t>(bytes / 128, 1U << 16));
  }

  [[nodiscard]] bool failed() const { return error_.has_value(); }
  [[nodiscard]] Error error() const { return error_.value_or(Error{}); }

  /** fail: records the first problem, "<path>/<name>: <what>" (no name: "<path>: <what>"). */
  void fail(std::string_view path, std::string_view name, std::string_view what,
            Errc code = Errc::kUnprocessable) {
    if (!error_) {
      std::string where(path);
      if (!name.empty()) {
        where.append("/").append(name);
      }
      error_ = detail::located(code, where, what);
    }
  }

  /** children: every element child named `name`, with its XPath ("<path>/<name>[i]"). */
  std::vector<std::pair<const Node*, std::string>> children(const Node* parent,
                                                            std::string_view path,
                                                            std::string_view name) {
    std::size_t n = 0;
    for (const Node* c = parent->children; c != nullptr; c = c->next) {
      n += same_text(c->name, name) ? 1 : 0;
    }
    std::vector<std::pair<const Node*, std::string>> out;
    out.reserve(n);
    std::array<char, 24> digits{};
    for (const Node* c = parent->children; c != nullptr; c = c->next) {
      if (same_text(c->name, name)) {
        const auto end =
            std::to_chars(digits.data(), digits.data() + digits.size(), out.size() + 1).ptr;
        std::string p;
        p.reserve(path.size() + name.size() + 8);
        p.append(path).append("/").append(name).append("[").append(digits.data(), end).append("]");
        out.emplace_back(c, std::move(p));
      }
    }
    return out;
  }

  /** child: the one element child named `name` (nullptr if absent; a repeat is an error). */
  const Node* child(const Node* parent, std::string_view path, std::string_view name,
                    bool required) {
    const Node* found = nullptr;
    for (const Node* c = parent->children; c != nullptr; c = c->next) {
      if (same_text(c->name, name)) {
        if (found != nullptr) {
          fail(path, name, "the element is repeated; it may appear once");
          return nullptr;
        }
        found = c;
      }
    }
    if (found == nullptr && required) {
      fail(path, name, "required element is missing");
    }
    return found;
  }

  /** text: the trimmed text of element child `name` ("" when absent and not required). */
  std::string_view text(const Node* parent, std::string_view path, std::string_view name,
                        bool required = false) {
    const Node* c = child(parent, path, name, required);
    if (c == nullptr) {
      return {};
    }
    if (c->children != nullptr) {
      fail(path, name, "expected text, found an element");
      return {};
    }
    const std::string_view all = c->text;
    if (all.size() > limits_.max_text_bytes) {
      fail(path, name,
           "the text is longer than " + std::to_string(limits_.max_text_bytes) + " bytes");
      return {};
    }
    const std::string_view out = trim_xml_space(all);
    if (out.empty() && required) {
      fail(path, name, "required element is empty");
    }
    return out;
  }

  /** date: a date or dateTime element, checked (yyyy, yyyy-mm, yyyy-mm-dd or with a time). */
  std::string_view date(const Node* parent, std::string_view path, std::string_view name,
                        bool required = false) {
    std::string_view d = text(parent, path, name, required);
    if (d.empty()) {
      return d;
    }
    if (std::string why = fhir::check_datetime(d, fhir::Temporal::kDateTime); !why.empty()) {
      fail(path, name, "not a valid date: " + why);
      return {};
    }
    return d;
  }

  /** choice: `name`'s text matched without regard to case against `allowed`; its value. */
  std::string_view choice(const Node* parent, std::string_view path, std::string_view name,
                          Choices allowed, bool required) {
    std::string_view v = text(parent, path, name, required);
    if (v.empty()) {
      return v;
    }
    for (const Choice& a : allowed) {
      if (equal_ignoring_case(v, a.shown)) {
        return a.value;
      }
    }
    std::string list;
    for (const Choice& a : allowed) {
      list.append(list.empty() ? "" : ", ").append(a.shown);
    }
    fail(path, name, "unknown value; expected one of " + list);
    return {};
  }

  /** flag: a true/false element (absent: false). */
  bool flag(const Node* parent, std::string_view path, std::string_view name) {
    static constexpr std::array<Choice, 2> kBoolean{{{"true", "true"}, {"false", "false"}}};
    return choice(parent, path, name, kBoolean, false) == "true";
  }

  /** guid: a GUID element that is a usable FHIR id, unique in the extract. */
  std::string_view guid(const Node* parent, std::string_view path) {
    std::string_view g = text(parent, path, "GUID", true);
    if (g.empty()) {
      return g;
    }
    if (!detail::valid_fhir_id(g) || g.size() > 60) {
      fail(path, "GUID", "not a GUID (letters, digits and '-', at most 60)");
      return {};
    }
    if (!guids_.insert(g)) {
      fail(path, "GUID", "the GUID is used by another entry in this extract");
    }
    return g;
  }

  /** ref: <name><RefID>n</RefID></name>, checked against the PeopleList. */
  std::string_view ref(const Node* parent, std::string_view path, std::string_view name,
                       bool required) {
    const Node* c = child(parent, path, name, required);
    if (c == nullptr) {
      return {};
    }
    const std::string& here = joined(path, name);
    std::string_view id = text(c, here, "RefID", true);
    if (!id.empty() && !people_.contains(id)) {
      fail(here, "RefID", "no Person in the PeopleList has this RefID");
      return {};
    }
    return id;
  }

  /** code: a Code element (Value, Scheme, Term, MapCode, MapScheme). */
  Code code(const Node* parent, std::string_view path, std::string_view name, Choices schemes) {
    static constexpr std::array<Choice, 1> kMapSchemes{{{"SNOMED", "snomed"}}};
    Code out;
    const Node* c = child(parent, path, name, true);
    if (c == nullptr) {
      return out;
    }
    const std::string& here = joined(path, name);
    out.value = text(c, here, "Value", true);
    out.system = scheme_system(choice(c, here, "Scheme", schemes, true));
    out.term = text(c, here, "Term");
    out.map_code = text(c, here, "MapCode");
    if (!out.map_code.empty()) {
      out.map_system = scheme_system(choice(c, here, "MapScheme", kMapSchemes, true));
    }
    if (out.system == detail::kSnomedSystem && !all_digits(out.value)) {
      fail(here, "Value", "a SNOMED CT or dm+d code is digits only");
    }
    if (!out.map_code.empty() && !all_digits(out.map_code)) {
      fail(here, "MapCode", "a SNOMED CT code is digits only");
    }
    return out;
  }

  /** decimal: `v` (when not empty) has FHIR decimal syntax:
   *  -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (http://hl7.org/fhir/R4/datatypes.html);
   *  the element is "<path>/<name>". */
  void decimal(std::string_view v, std::string_view path, std::string_view name) {
    if (v.empty()) {
      return;
    }
    std::size_t i = 0;
    auto digits = [&] {
      std::size_t b = i;
      while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
        ++i;
      }
      return i - b;
    };
    bool ok = v.size() <= 32;
    if (ok && v[i] == '-') {
      ++i;
    }
    const std::size_t int_start = i;
    const std::size_t int_digits = digits();
    ok = ok && int_digits > 0 && !(int_digits > 1 && v[int_start] == '0');
    if (ok && i < v.size() && v[i] == '.') {
      ++i;
      ok = digits() > 0;
    }
    if (ok && i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
      ++i;
      if (i < v.size() && (v[i] == '+' || v[i] == '-')) {
        ++i;
      }
      ok = digits() > 0;
    }
    if (!ok || i != v.size()) {
      fail(path, name, "not a decimal number");
    }
  }

  void add_person(std::string_view ref_id) { people_.insert(ref_id); }

  /** joined: "<path>/<name>" in a buffer of the reader's (valid until the next call). */
  const std::string& joined(std::string_view path, std::string_view name) {
    scratch_.assign(path).append("/").append(name);
    return scratch_;
  }

private:
  static bool all_digits(std::string_view s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  static std::string_view scheme_system(std::string_view scheme) {
    if (scheme == "read2") {
      return detail::kReadV2System;
    }
    if (scheme == "snomed" || scheme == "dmd") {
      // dm+d identifiers are SNOMED CT concept ids (UK Core codes medicines in SNOMED CT).
      return detail::kSnomedSystem;
    }
    if (scheme == "emis") {
      return "https://fhir.hl7.org.uk/Id/egton-codes";  // EMIS local codes, as EMIS's GP Connect
    }
    if (scheme == "emisdrug") {
      return "https://fhir.hl7.org.uk/Id/emis-drug-codes";
    }
    return {};
  }

  const XmlLimits& limits_;
  std::optional<Error> error_;
  detail::ViewSet<> people_;
  detail::ViewSet<CaselessHash, CaselessEqual> guids_;
  std::string scratch_;
};

constexpr std::string_view kRoot = "/MedicalRecord";

/** path_of: "/MedicalRecord/<rest>". */
std::string path_of(std::string_view rest) {
  std::string out(kRoot);
  out.append("/").append(rest);
  return out;
}

/** list_entries: the `item` children of the extract's `list` element, each with its path (none
 *  when the list is absent). */
std::vector<std::pair<const Node*, std::string>> list_entries(Reader& rd, const Node* root,
                                                              std::string_view list,
                                                              std::string_view item) {
  const Node* l = rd.child(root, kRoot, list, false);
  if (l == nullptr) {
    return {};
  }
  return rd.children(l, path_of(list), item);
}

/** read_head: what every coded entry starts with: its path, GUID, AssignedDate (required) and
 *  AuthorID (optional). */
template <class Entry>
void read_head(Reader& rd, const Node* n, std::string path, Entry& e) {
  e.path = std::move(path);
  e.guid = rd.guid(n, e.path);
  e.date = rd.date(n, e.path, "AssignedDate", true);
  e.author_ref = rd.ref(n, e.path, "AuthorID", false);
}

void read_people(Reader& rd, const Node* root, Extract& out) {
  auto people = list_entries(rd, root, "PeopleList", "Person");
  out.people.reserve(people.size());
  for (const auto& [n, path] : people) {
    Person& p = out.people.emplace_back();
    p.ref_id = rd.text(n, path, "RefID", true);
    p.guid = rd.guid(n, path);
    p.title = rd.text(n, path, "Title");
    p.first_names = rd.text(n, path, "FirstNames");
    p.last_name = rd.text(n, path, "LastName", true);
    p.role = rd.text(n, path, "Role");
    rd.add_person(p.ref_id);
  }
}

constexpr std::array<Choice, 8> kNhsNumberStatuses{{{"01", "01"},
                                                    {"02", "02"},
                                                    {"03", "03"},
                                                    {"04", "04"},
                                                    {"05", "05"},
                                                    {"06", "06"},
                                                    {"07", "07"},
                                                    {"08", "08"}}};

void read_registration(Reader& rd, const Node* root, Extract& out) {
  Registration& r = out.registration;
  r.path = path_of("Registration");
  const Node* n = rd.child(root, kRoot, "Registration", true);
  if (n == nullptr) {
    return;
  }
  r.guid = rd.guid(n, r.path);
  r.nhs_number = rd.text(n, r.path, "NhsNumber");
  r.nhs_number_status = rd.choice(n, r.path, "NhsNumberStatus", kNhsNumberStatuses, false);
  r.title = rd.text(n, r.path, "Title");
  r.first_names = rd.text(n, r.path, "FirstNames");
  r.family_name = rd.text(n, r.path, "FamilyName", true);
  r.previous_family_name = rd.text(n, r.path, "PreviousFamilyName");
  r.date_of_birth = rd.date(n, r.path, "DateOfBirth", true);
  if (r.date_of_birth.size() > 10) {
    rd.fail(r.path, "DateOfBirth", "a date of birth is a date (yyyy-mm-dd), not a dateTime");
  }
  r.sex = rd.text(n, r.path, "Sex", true);
  if (const Node* a = rd.child(n, r.path, "Address", false)) {
    const std::string ap = r.path + "/Address";
    for (std::string_view part : {"HouseNameFlat", "Street", "Village"}) {
      if (std::string_view v = rd.text(a, ap, part); !v.empty()) {
        r.address.lines.push_back(v);
      }
    }
    r.address.town = rd.text(a, ap, "Town");
    r.address.county = rd.text(a, ap, "County");
    r.address.postcode = rd.text(a, ap, "PostCode");
  }
  r.home_telephone = rd.text(n, r.path, "HomeTelephone");
  r.mobile_telephone = rd.text(n, r.path, "MobileTelephone");
  r.email = rd.text(n, r.path, "EmailAddress");
  if (const Node* p = rd.child(n, r.path, "RegisteredPractice", true)) {
    const std::string pp = r.path + "/RegisteredPractice";
    r.practice_ods = rd.text(p, pp, "OdsCode", true);
    r.practice_name = rd.text(p, pp, "Name");
  }
  r.registration_date = rd.date(n, r.path, "RegistrationDate");
  r.usual_gp_ref = rd.ref(n, r.path, "UsualGP", false);
}

void read_consultations(Reader& rd, const Node* root, Extract& out) {
  auto entries = list_entries(rd, root, "ConsultationList", "Consultation");
  out.consultations.reserve(entries.size());
  for (auto& [n, path] : entries) {
    Consultation& c = out.consultations.emplace_back();
    c.path = std::move(path);
    c.guid = rd.guid(n, c.path);
    c.date = rd.date(n, c.path, "AssignedDate", true);
    c.type = rd.text(n, c.path, "Type");
    c.user_ref = rd.ref(n, c.path, "UserID", true);
    c.location = rd.text(n, c.path, "Location");
    if (const Node* el = rd.child(n, c.path, "ElementList", false)) {
      auto elements = rd.children(el, c.path + "/ElementList", "ConsultationElement");
      c.elements.reserve(elements.size());
      for (auto& [e, ep] : elements) {
        ConsultationElement& ce = c.elements.emplace_back();
        ce.path = std::move(ep);
        ce.header = rd.text(e, ce.path, "Header");
        ce.entry_guid = rd.text(e, ce.path, "EntryGUID", true);
      }
    }
  }
}

constexpr std::array<Choice, 3> kEventSchemes{
    {{"READ2", "read2"}, {"SNOMED", "snomed"}, {"EMIS", "emis"}}};
constexpr std::array<Choice, 3> kDrugSchemes{
    {{"DMD", "dmd"}, {"SNOMED", "snomed"}, {"EMISDRUG", "emisdrug"}}};
constexpr std::array<Choice, 3> kProblemStatuses{
    {{"Active", "active"}, {"Past", "past"}, {"Resolved", "resolved"}}};
constexpr std::array<Choice, 2> kSignificances{{{"Major", "major"}, {"Minor", "minor"}}};

void read_events(Reader& rd, const Node* root, Extract& out) {
  auto entries = list_entries(rd, root, "EventList", "Event");
  out.events.reserve(entries.size());
  for (auto& [n, path] : entries) {
    Event& e = out.events.emplace_back();
    read_head(rd, n, std::move(path), e);
    e.code = rd.code(n, e.path, "Code", kEventSchemes);
    e.display_term = rd.text(n, e.path, "DisplayTerm");
    e.comment = rd.text(n, e.path, "Comment");
    e.confidential = rd.flag(n, e.path, "Confidential");
    if (const Node* nv = rd.child(n, e.path, "NumericValue", false)) {
      const std::string& vp = rd.joined(e.path, "NumericValue");
      NumericValue& v = e.numeric.emplace();
      v.value = rd.text(nv, vp, "Value", true);
      v.units = rd.text(nv, vp, "Units");
      rd.decimal(v.value, vp, "Value");
    }
    if (const Node* pr = rd.child(n, e.path, "Problem", false)) {
      const std::string& pp = rd.joined(e.path, "Problem");
      Problem& p = e.problem.emplace();
      p.status = rd.choice(pr, pp, "Status", kProblemStatuses, true);
      p.significance = rd.choice(pr, pp, "Significance", kSignificances, false);
      p.end_date = rd.date(pr, pp, "EndDate");
    }
  }
}

constexpr std::array<Choice, 3> kPrescriptionTypes{
    {{"Acute", "acute"}, {"Repeat", "repeat"}, {"RepeatDispensing", "repeat-dispensing"}}};
constexpr std::array<Choice, 3> kDrugStatuses{
    {{"Active", "active"}, {"Past", "past"}, {"Cancelled", "cancelled"}}};

void read_issues(Reader& rd, const Node* list, Medication& m) {
  auto entries = rd.children(list, m.path + "/IssueList", "Issue");
  m.issues.reserve(entries.size());
  for (auto& [i, ip] : entries) {
    Issue& is = m.issues.emplace_back();
    is.path = std::move(ip);
    is.guid = rd.guid(i, is.path);
    is.date = rd.date(i, is.path, "IssueDate", true);
    is.quantity = rd.text(i, is.path, "Quantity");
    rd.decimal(is.quantity, is.path, "Quantity");
    is.units = rd.text(i, is.path, "QuantityUnits");
    is.author_ref = rd.ref(i, is.path, "AuthorID", false);
  }
}

void read_medications(Reader& rd, const Node* root, Extract& out) {
  auto entries = list_entries(rd, root, "MedicationList", "Medication");
  out.medications.reserve(entries.size());
  for (auto& [n, path] : entries) {
    Medication& m = out.medications.emplace_back();
    read_head(rd, n, std::move(path), m);
    if (const Node* drug = rd.child(n, m.path, "Drug", true)) {
      m.drug = rd.code(drug, m.path + "/Drug", "PreparationID", kDrugSchemes);
    }
    m.dosage = rd.text(n, m.path, "Dosage");
    m.quantity = rd.text(n, m.path, "Quantity");
    rd.decimal(m.quantity, m.path, "Quantity");
    m.units = rd.text(n, m.path, "QuantityUnits");
    m.prescription_type = rd.choice(n, m.path, "PrescriptionType", kPrescriptionTypes, true);
    m.status = rd.choice(n, m.path, "DrugStatus", kDrugStatuses, true);
    m.end_date = rd.date(n, m.path, "EndDate");
    m.confidential = rd.flag(n, m.path, "Confidential");
    if (const Node* il = rd.child(n, m.path, "IssueList", false)) {
      read_issues(rd, il, m);
    }
  }
}

constexpr std::array<Choice, 2> kAllergyTypes{
    {{"Allergy", "allergy"}, {"Intolerance", "intolerance"}}};
constexpr std::array<Choice, 3> kAllergyStatuses{
    {{"Active", "active"}, {"Inactive", "inactive"}, {"Resolved", "resolved"}}};
constexpr std::array<Choice, 3> kSeverities{
    {{"Mild", "mild"}, {"Moderate", "moderate"}, {"Severe", "severe"}}};

void read_allergies(Reader& rd, const Node* root, Extract& out) {
  auto entries = list_entries(rd, root, "AllergyList", "Allergy");
  out.allergies.reserve(entries.size());
  for (auto& [n, path] : entries) {
    Allergy& a = out.allergies.emplace_back();
    read_head(rd, n, std::move(path), a);
    a.code = rd.code(n, a.path, "Code", kEventSchemes);
    a.type = rd.choice(n, a.path, "Type", kAllergyTypes, false);
    a.status = rd.choice(n, a.path, "Status", kAllergyStatuses, true);
    a.reaction = rd.text(n, a.path, "Reaction");
    a.severity = rd.choice(n, a.path, "Severity", kSeverities, false);
    a.comment = rd.text(n, a.path, "Comment");
    a.confidential = rd.flag(n, a.path, "Confidential");
  }
}

constexpr std::array<Choice, 5> kAlertTypes{{{"Safeguarding", "safeguarding"},
                                             {"DNACPR", "dnacpr"},
                                             {"ClinicalWarning", "clinicalwarning"},
                                             {"ReasonableAdjustment", "reasonableadjustment"},
                                             {"Administrative", "administrative"}}};
constexpr std::array<Choice, 2> kAlertStatuses{{{"Active", "active"}, {"Inactive", "inactive"}}};

void read_alerts(Reader& rd, const Node* root, Extract& out) {
  auto entries = list_entries(rd, root, "AlertList", "Alert");
  out.alerts.reserve(entries.size());
  for (auto& [n, path] : entries) {
    Alert& a = out.alerts.emplace_back();
    read_head(rd, n, std::move(path), a);
    a.type = rd.choice(n, a.path, "Type", kAlertTypes, true);
    a.text = rd.text(n, a.path, "Text", true);
    a.status = rd.choice(n, a.path, "Status", kAlertStatuses, true);
    a.end_date = rd.date(n, a.path, "EndDate");
    if (rd.child(n, a.path, "Code", false) != nullptr) {
      a.code = rd.code(n, a.path, "Code", kEventSchemes);
    }
  }
}

constexpr std::array<Choice, 2> kExtractTypes{{{"Full", "full"}, {"Delta", "delta"}}};

}  // namespace

Result<Extract> parse_extract(std::string_view xml, const XmlLimits& limits) {
  auto doc = read_document(xml, limits);
  if (!doc) {
    return doc.error();
  }
  const Node* root = doc->root();
  if (root->name != "MedicalRecord") {
    return detail::located(Errc::kUnprocessable, "/",
                           "the root element must be MedicalRecord (an EMIS XML extract)");
  }
  Reader rd(limits, xml.size());
  Extract out;
  if (const Node* h = rd.child(root, kRoot, "ExtractHeader", true)) {
    const std::string hp = path_of("ExtractHeader");
    out.extract_id = rd.text(h, hp, "ExtractID", true);
    out.extract_datetime = rd.date(h, hp, "ExtractDateTime", true);
    out.extract_type = rd.choice(h, hp, "ExtractType", kExtractTypes, false);
  }
  if (out.extract_id.size() > 128) {
    rd.fail(path_of("ExtractHeader"), "ExtractID", "longer than 128 characters");
  }
  read_people(rd, root, out);
  read_registration(rd, root, out);
  read_consultations(rd, root, out);
  read_events(rd, root, out);
  read_medications(rd, root, out);
  read_allergies(rd, root, out);
  read_alerts(rd, root, out);
  if (rd.failed()) {
    return rd.error();
  }
  out.document = std::move(*doc);
  return out;
}

std::string extract_id(std::string_view xml) {
  auto doc = read_document(xml, XmlLimits{});
  if (!doc) {
    return {};
  }
  for (const Node* h = doc->root()->children; h != nullptr; h = h->next) {
    if (h->name != "ExtractHeader") {
      continue;
    }
    for (const Node* c = h->children; c != nullptr; c = c->next) {
      if (c->name == "ExtractID") {
        // An ExtractID with elements inside is refused by parse_extract; it has no id here.
        const std::string_view id = trim_xml_space(c->text);
        if (id.empty() || c->children != nullptr) {
          return {};
        }
        return id.size() <= 128 ? std::string(id) : std::string{};
      }
    }
  }
  return {};
}

}  // namespace gw::adapters::emis::xml
