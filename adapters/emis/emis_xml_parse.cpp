// EMIS XML extract parser (emis_xml.hpp). The extract is read by the reader of xml_reader.hpp
// (no DTD: a DOCTYPE is refused; no entities beyond XML's five; nothing fetched; depth and size
// bounded) into its element tree, which is then read element by element with a sticky first
// error.
#include <algorithm>
#include <cctype>
#include <climits>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "adapters/emis/common.hpp"
#include "adapters/emis/emis_xml.hpp"
#include "adapters/emis/xml_reader.hpp"
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

/** Reader: reads elements with a sticky first error, so each reading function stays short. */
class Reader {
public:
  explicit Reader(const XmlLimits& limits) : limits_(limits) {}

  [[nodiscard]] bool failed() const { return error_.has_value(); }
  [[nodiscard]] Error error() const { return error_.value_or(Error{}); }

  /** fail: records the first problem, "<path>: <what>". */
  void fail(const std::string& path, std::string_view what, Errc code = Errc::kUnprocessable) {
    if (!error_) {
      error_ = detail::located(code, path, what);
    }
  }

  /** children: every element child named `name`, with its XPath ("<path>/<name>[i]"). */
  std::vector<std::pair<const Node*, std::string>> children(const Node* parent,
                                                            const std::string& path,
                                                            std::string_view name) {
    std::vector<std::pair<const Node*, std::string>> out;
    for (const Node* c = parent->children; c != nullptr; c = c->next) {
      if (c->name == name) {
        out.emplace_back(c, std::string{});
      }
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      out[i].second = path + "/" + std::string(name) + "[" + std::to_string(i + 1) + "]";
    }
    return out;
  }

  /** child: the one element child named `name` (nullptr if absent; a repeat is an error). */
  const Node* child(const Node* parent, const std::string& path, std::string_view name,
                    bool required) {
    const Node* found = nullptr;
    for (const Node* c = parent->children; c != nullptr; c = c->next) {
      if (c->name == name) {
        if (found != nullptr) {
          fail(path + "/" + std::string(name), "the element is repeated; it may appear once");
          return nullptr;
        }
        found = c;
      }
    }
    if (found == nullptr && required) {
      fail(path + "/" + std::string(name), "required element is missing");
    }
    return found;
  }

  /** text: the trimmed text of element child `name` ("" when absent and not required). */
  std::string text(const Node* parent, const std::string& path, std::string_view name,
                   bool required = false) {
    const Node* c = child(parent, path, name, required);
    if (c == nullptr) {
      return {};
    }
    if (c->children != nullptr) {
      fail(join(path, name), "expected text, found an element");
      return {};
    }
    const std::string_view all = c->text;
    if (all.size() > limits_.max_text_bytes) {
      fail(join(path, name), std::string("the text is longer than ") +
                                 std::to_string(limits_.max_text_bytes) + " bytes");
      return {};
    }
    const auto b = all.find_first_not_of(" \t\r\n");
    std::string out;
    if (b != std::string_view::npos) {
      out = all.substr(b, all.find_last_not_of(" \t\r\n") - b + 1);
    }
    if (out.empty() && required) {
      fail(join(path, name), "required element is empty");
    }
    return out;
  }

  /** date: a date or dateTime element, checked (yyyy, yyyy-mm, yyyy-mm-dd or with a time). */
  std::string date(const Node* parent, const std::string& path, std::string_view name,
                   bool required = false) {
    std::string d = text(parent, path, name, required);
    if (d.empty()) {
      return d;
    }
    if (std::string why = fhir::check_datetime(d, fhir::Temporal::kDateTime); !why.empty()) {
      fail(path + "/" + std::string(name), std::string("not a valid date: ") + why);
      return {};
    }
    return d;
  }

  /** choice: `name`'s text lower-cased and checked against `allowed` (written as they are). */
  std::string choice(const Node* parent, const std::string& path, std::string_view name,
                     const std::vector<std::string_view>& allowed, bool required) {
    std::string v = text(parent, path, name, required);
    if (v.empty()) {
      return v;
    }
    for (std::string_view a : allowed) {
      if (std::equal(v.begin(), v.end(), a.begin(), a.end(), [](char x, char y) {
            return std::tolower(static_cast<unsigned char>(x)) ==
                   std::tolower(static_cast<unsigned char>(y));
          })) {
        std::string out(a);
        std::transform(out.begin(), out.end(), out.begin(),
                       [](char c) { return static_cast<char>(std::tolower(c)); });
        return out;
      }
    }
    std::string list;
    for (std::string_view a : allowed) {
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    fail(path + "/" + std::string(name), std::string("unknown value; expected one of ") + list);
    return {};
  }

  /** flag: a true/false element (absent: false). */
  bool flag(const Node* parent, const std::string& path, std::string_view name) {
    return choice(parent, path, name, {"true", "false"}, false) == "true";
  }

  /** guid: a GUID element that is a usable FHIR id, unique in the extract. */
  std::string guid(const Node* parent, const std::string& path) {
    std::string g = text(parent, path, "GUID", true);
    if (g.empty()) {
      return g;
    }
    if (!detail::valid_fhir_id(g) || g.size() > 60) {
      fail(path + "/GUID", "not a GUID (letters, digits and '-', at most 60)");
      return {};
    }
    std::string key = g;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](char c) { return static_cast<char>(std::toupper(c)); });
    if (!guids_.insert(key).second) {
      fail(path + "/GUID", "the GUID is used by another entry in this extract");
    }
    return g;
  }

  /** ref: <name><RefID>n</RefID></name>, checked against the PeopleList. */
  std::string ref(const Node* parent, const std::string& path, std::string_view name,
                  bool required) {
    const Node* c = child(parent, path, name, required);
    if (c == nullptr) {
      return {};
    }
    std::string id = text(c, join(path, name), "RefID", true);
    if (!id.empty() && people_.count(id) == 0) {
      fail(join(path, name) + "/RefID", "no Person in the PeopleList has this RefID");
      return {};
    }
    return id;
  }

  /** code: a Code element (Value, Scheme, Term, MapCode, MapScheme). */
  Code code(const Node* parent, const std::string& path, std::string_view name,
            const std::vector<std::string_view>& schemes) {
    Code out;
    const Node* c = child(parent, path, name, true);
    if (c == nullptr) {
      return out;
    }
    const std::string here = path + "/" + std::string(name);
    out.value = text(c, here, "Value", true);
    out.system = scheme_system(choice(c, here, "Scheme", schemes, true));
    out.term = text(c, here, "Term");
    out.map_code = text(c, here, "MapCode");
    if (!out.map_code.empty()) {
      out.map_system = scheme_system(choice(c, here, "MapScheme", {"SNOMED"}, true));
    }
    if (out.system == detail::kSnomedSystem && !all_digits(out.value)) {
      fail(here + "/Value", "a SNOMED CT or dm+d code is digits only");
    }
    if (!out.map_code.empty() && !all_digits(out.map_code)) {
      fail(here + "/MapCode", "a SNOMED CT code is digits only");
    }
    return out;
  }

  /** decimal: `v` (when not empty) has FHIR decimal syntax:
   *  -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (http://hl7.org/fhir/R4/datatypes.html). */
  void decimal(std::string_view v, const std::string& path) {
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
      fail(path, "not a decimal number");
    }
  }

  void add_person(const std::string& ref_id) { people_.insert(ref_id); }

private:
  /** join: "<path>/<name>" (an element's XPath, made when it is needed). */
  static std::string join(const std::string& path, std::string_view name) {
    std::string out;
    out.reserve(path.size() + 1 + name.size());
    out.append(path).append("/").append(name);
    return out;
  }
  static bool all_digits(std::string_view s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  static std::string scheme_system(std::string_view scheme) {
    if (scheme == "read2") {
      return std::string(detail::kReadV2System);
    }
    if (scheme == "snomed" || scheme == "dmd") {
      // dm+d identifiers are SNOMED CT concept ids (UK Core codes medicines in SNOMED CT).
      return std::string(detail::kSnomedSystem);
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
  std::set<std::string> people_;
  std::set<std::string> guids_;
};

const std::string kRoot = "/MedicalRecord";

void read_people(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "PeopleList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/PeopleList", "Person")) {
    Person p;
    p.ref_id = rd.text(n, path, "RefID", true);
    p.guid = rd.guid(n, path);
    p.title = rd.text(n, path, "Title");
    p.first_names = rd.text(n, path, "FirstNames");
    p.last_name = rd.text(n, path, "LastName", true);
    p.role = rd.text(n, path, "Role");
    rd.add_person(p.ref_id);
    out.people.push_back(std::move(p));
  }
}

void read_registration(Reader& rd, const Node* root, Extract& out) {
  Registration& r = out.registration;
  r.path = kRoot + "/Registration";
  const Node* n = rd.child(root, kRoot, "Registration", true);
  if (n == nullptr) {
    return;
  }
  r.guid = rd.guid(n, r.path);
  r.nhs_number = rd.text(n, r.path, "NhsNumber");
  r.nhs_number_status = rd.choice(n, r.path, "NhsNumberStatus",
                                  {"01", "02", "03", "04", "05", "06", "07", "08"}, false);
  r.title = rd.text(n, r.path, "Title");
  r.first_names = rd.text(n, r.path, "FirstNames");
  r.family_name = rd.text(n, r.path, "FamilyName", true);
  r.previous_family_name = rd.text(n, r.path, "PreviousFamilyName");
  r.date_of_birth = rd.date(n, r.path, "DateOfBirth", true);
  if (r.date_of_birth.size() > 10) {
    rd.fail(r.path + "/DateOfBirth", "a date of birth is a date (yyyy-mm-dd), not a dateTime");
  }
  r.sex = rd.text(n, r.path, "Sex", true);
  if (const Node* a = rd.child(n, r.path, "Address", false)) {
    const std::string ap = r.path + "/Address";
    for (std::string_view part : {"HouseNameFlat", "Street", "Village"}) {
      if (std::string v = rd.text(a, ap, part); !v.empty()) {
        r.address.lines.push_back(std::move(v));
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
    r.practice_ods = rd.text(p, r.path + "/RegisteredPractice", "OdsCode", true);
    r.practice_name = rd.text(p, r.path + "/RegisteredPractice", "Name");
  }
  r.registration_date = rd.date(n, r.path, "RegistrationDate");
  r.usual_gp_ref = rd.ref(n, r.path, "UsualGP", false);
}

void read_consultations(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "ConsultationList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/ConsultationList", "Consultation")) {
    Consultation c;
    c.path = path;
    c.guid = rd.guid(n, path);
    c.date = rd.date(n, path, "AssignedDate", true);
    c.type = rd.text(n, path, "Type");
    c.user_ref = rd.ref(n, path, "UserID", true);
    c.location = rd.text(n, path, "Location");
    if (const Node* el = rd.child(n, path, "ElementList", false)) {
      for (const auto& [e, ep] : rd.children(el, path + "/ElementList", "ConsultationElement")) {
        ConsultationElement ce;
        ce.path = ep;
        ce.header = rd.text(e, ep, "Header");
        ce.entry_guid = rd.text(e, ep, "EntryGUID", true);
        c.elements.push_back(std::move(ce));
      }
    }
    out.consultations.push_back(std::move(c));
  }
}

const std::vector<std::string_view> kEventSchemes = {"READ2", "SNOMED", "EMIS"};

void read_events(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "EventList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/EventList", "Event")) {
    Event e;
    e.path = path;
    e.guid = rd.guid(n, path);
    e.date = rd.date(n, path, "AssignedDate", true);
    e.author_ref = rd.ref(n, path, "AuthorID", false);
    e.code = rd.code(n, path, "Code", kEventSchemes);
    e.display_term = rd.text(n, path, "DisplayTerm");
    e.comment = rd.text(n, path, "Comment");
    e.confidential = rd.flag(n, path, "Confidential");
    if (const Node* nv = rd.child(n, path, "NumericValue", false)) {
      NumericValue v;
      v.value = rd.text(nv, path + "/NumericValue", "Value", true);
      v.units = rd.text(nv, path + "/NumericValue", "Units");
      rd.decimal(v.value, path + "/NumericValue/Value");
      e.numeric = std::move(v);
    }
    if (const Node* pr = rd.child(n, path, "Problem", false)) {
      Problem p;
      const std::string pp = path + "/Problem";
      p.status = rd.choice(pr, pp, "Status", {"Active", "Past", "Resolved"}, true);
      p.significance = rd.choice(pr, pp, "Significance", {"Major", "Minor"}, false);
      p.end_date = rd.date(pr, pp, "EndDate");
      e.problem = std::move(p);
    }
    out.events.push_back(std::move(e));
  }
}

void read_medications(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "MedicationList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/MedicationList", "Medication")) {
    Medication m;
    m.path = path;
    m.guid = rd.guid(n, path);
    m.date = rd.date(n, path, "AssignedDate", true);
    m.author_ref = rd.ref(n, path, "AuthorID", false);
    if (const Node* drug = rd.child(n, path, "Drug", true)) {
      m.drug = rd.code(drug, path + "/Drug", "PreparationID", {"DMD", "SNOMED", "EMISDRUG"});
    }
    m.dosage = rd.text(n, path, "Dosage");
    m.quantity = rd.text(n, path, "Quantity");
    rd.decimal(m.quantity, path + "/Quantity");
    m.units = rd.text(n, path, "QuantityUnits");
    m.prescription_type =
        rd.choice(n, path, "PrescriptionType", {"Acute", "Repeat", "RepeatDispensing"}, true);
    if (m.prescription_type == "repeatdispensing") {
      m.prescription_type = "repeat-dispensing";
    }
    m.status = rd.choice(n, path, "DrugStatus", {"Active", "Past", "Cancelled"}, true);
    m.end_date = rd.date(n, path, "EndDate");
    m.confidential = rd.flag(n, path, "Confidential");
    if (const Node* il = rd.child(n, path, "IssueList", false)) {
      for (const auto& [i, ip] : rd.children(il, path + "/IssueList", "Issue")) {
        Issue is;
        is.path = ip;
        is.guid = rd.guid(i, ip);
        is.date = rd.date(i, ip, "IssueDate", true);
        is.quantity = rd.text(i, ip, "Quantity");
        rd.decimal(is.quantity, ip + "/Quantity");
        is.units = rd.text(i, ip, "QuantityUnits");
        is.author_ref = rd.ref(i, ip, "AuthorID", false);
        m.issues.push_back(std::move(is));
      }
    }
    out.medications.push_back(std::move(m));
  }
}

void read_allergies(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "AllergyList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/AllergyList", "Allergy")) {
    Allergy a;
    a.path = path;
    a.guid = rd.guid(n, path);
    a.date = rd.date(n, path, "AssignedDate", true);
    a.author_ref = rd.ref(n, path, "AuthorID", false);
    a.code = rd.code(n, path, "Code", kEventSchemes);
    a.type = rd.choice(n, path, "Type", {"Allergy", "Intolerance"}, false);
    a.status = rd.choice(n, path, "Status", {"Active", "Inactive", "Resolved"}, true);
    a.reaction = rd.text(n, path, "Reaction");
    a.severity = rd.choice(n, path, "Severity", {"Mild", "Moderate", "Severe"}, false);
    a.comment = rd.text(n, path, "Comment");
    a.confidential = rd.flag(n, path, "Confidential");
    out.allergies.push_back(std::move(a));
  }
}

void read_alerts(Reader& rd, const Node* root, Extract& out) {
  const Node* list = rd.child(root, kRoot, "AlertList", false);
  if (list == nullptr) {
    return;
  }
  for (const auto& [n, path] : rd.children(list, kRoot + "/AlertList", "Alert")) {
    Alert a;
    a.path = path;
    a.guid = rd.guid(n, path);
    a.date = rd.date(n, path, "AssignedDate", true);
    a.author_ref = rd.ref(n, path, "AuthorID", false);
    a.type = rd.choice(
        n, path, "Type",
        {"Safeguarding", "DNACPR", "ClinicalWarning", "ReasonableAdjustment", "Administrative"},
        true);
    a.text = rd.text(n, path, "Text", true);
    a.status = rd.choice(n, path, "Status", {"Active", "Inactive"}, true);
    a.end_date = rd.date(n, path, "EndDate");
    if (rd.child(n, path, "Code", false) != nullptr) {
      a.code = rd.code(n, path, "Code", kEventSchemes);
    }
    out.alerts.push_back(std::move(a));
  }
}

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
  Reader rd(limits);
  Extract out;
  if (const Node* h = rd.child(root, kRoot, "ExtractHeader", true)) {
    const std::string hp = kRoot + "/ExtractHeader";
    out.extract_id = rd.text(h, hp, "ExtractID", true);
    out.extract_datetime = rd.date(h, hp, "ExtractDateTime", true);
    out.extract_type = rd.choice(h, hp, "ExtractType", {"Full", "Delta"}, false);
  }
  if (out.extract_id.size() > 128) {
    rd.fail(kRoot + "/ExtractHeader/ExtractID", "longer than 128 characters");
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
        std::string_view id = c->text;
        const auto b = id.find_first_not_of(" \t\r\n");
        if (b == std::string_view::npos || c->children != nullptr) {
          return {};
        }
        id = id.substr(b, id.find_last_not_of(" \t\r\n") - b + 1);
        return id.size() <= 128 ? std::string(id) : std::string{};
      }
    }
  }
  return {};
}

}  // namespace gw::adapters::emis::xml
