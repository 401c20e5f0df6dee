// The IG reports: break-glass queue and reviews, access history in words, denials, unusual
// activity. Reads go through the store's connection; reviews are appended through the log.
#include "gateway/audit/reports.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "gateway/store/sqlite/try.hpp"

namespace gw::audit {
namespace {

Result<std::vector<std::uint64_t>> seqs(AuditStore& store, std::string_view sql,
                                        std::size_t limit) {
  GW_STORE_ASSIGN(auto st, store.db().cached(sql));
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::uint64_t> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      break;
    }
    out.push_back(static_cast<std::uint64_t>(st->column_int64(0)));
  }
  return out;
}

Result<std::optional<StoredRecord>> latest_review(AuditStore& store, std::uint64_t seq) {
  GW_STORE_ASSIGN(auto st,
                  store.db().cached("SELECT max(seq) FROM audit_record WHERE related_seq = ?1 AND "
                                    "event_type = 'break-glass-review' AND outcome = 0"));
  st->bind(1, static_cast<std::int64_t>(seq));
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row || st->is_null(0)) {
    return std::optional<StoredRecord>{};
  }
  const auto review_seq = static_cast<std::uint64_t>(st->column_int64(0));
  st->reset();
  GW_STORE_ASSIGN(auto r, store.get(review_seq));
  return std::optional<StoredRecord>(std::move(r));
}

std::string date_words(std::int64_t us) {
  namespace chr = std::chrono;
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  const chr::sys_time<chr::microseconds> tp{chr::microseconds{us}};
  const auto day = chr::floor<chr::days>(tp);
  const chr::year_month_day ymd{day};
  const chr::hh_mm_ss hms{chr::floor<chr::minutes>(tp - day)};
  char buf[80];
  std::snprintf(buf, sizeof buf, "On %u %s %d at %02d:%02d (UTC)", static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()));
  return buf;
}

std::string purpose_words(std::string_view p) {
  if (p == "TREAT") {
    return " to care for you";
  }
  if (p == "ETREAT") {
    return " to give you emergency care";
  }
  if (p == "HOPERAT" || p == "HMARKT") {
    return " to run health and care services";
  }
  if (p == "PATRQT") {
    return " because you asked them to";
  }
  if (p == "CAREMGT") {
    return " to arrange your care";
  }
  return "";
}

std::string item_words(std::string_view resource_type) {
  static const std::map<std::string_view, std::string_view> kWords{
      {"MedicationStatement", "medicines"},
      {"MedicationRequest", "medicines"},
      {"AllergyIntolerance", "allergies"},
      {"Condition", "health problems"},
      {"Encounter", "visits and stays"},
      {"Observation", "test results and measurements"},
      {"DocumentReference", "letters and documents"},
      {"Composition", "letters and documents"},
      {"CarePlan", "care plans"},
      {"Patient", "your personal details"},
      {"Flag", "alerts"},
      {"Procedure", "operations and procedures"},
      {"Immunization", "vaccinations"},
      {"Consent", "your consent choices"}};
  auto it = kWords.find(resource_type);
  return std::string(it == kWords.end() ? std::string_view("other information") : it->second);
}

std::string join_words(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += i + 1 == parts.size() ? " and " : ", ";
    }
    out += parts[i];
  }
  return out;
}

std::string who_words(const AuditRecord& r, const OrgName& org_name) {
  std::string who = !r.user_name.empty() ? r.user_name
                    : !r.user_id.empty() ? "a member of staff"
                                         : "a computer system";
  if (!r.user_role.empty()) {
    who += " (" + r.user_role + ")";
  }
  if (!r.org_ods.empty()) {
    const std::string name = org_name ? org_name(r.org_ods) : std::string();
    who += " at " + (name.empty() ? "the organisation with code " + r.org_ods : name);
  }
  return who;
}

}  // namespace

std::string_view review_outcome_name(ReviewOutcome o) {
  switch (o) {
    case ReviewOutcome::kAppropriate:
      return "appropriate";
    case ReviewOutcome::kInappropriate:
      return "inappropriate";
    case ReviewOutcome::kNeedsFollowUp:
      return "follow-up";
  }
  return "appropriate";
}

std::optional<ReviewOutcome> parse_review_outcome(std::string_view s) {
  for (auto o : {ReviewOutcome::kAppropriate, ReviewOutcome::kInappropriate,
                 ReviewOutcome::kNeedsFollowUp}) {
    if (review_outcome_name(o) == s) {
      return o;
    }
  }
  return std::nullopt;
}

Result<std::vector<BreakGlassItem>> break_glass_queue(AuditStore& store, std::size_t limit) {
  // Granted break-glass only: refused attempts are denials (the denied-access report), and the
  // reads made under a grant are found from it (same user and patient), not reviewed one by one.
  // A review counts once it was recorded (outcome 0); a refused review attempt does not.
  constexpr std::string_view kGranted =
      "b.event_type = 'break-glass' AND b.decision = 'break-glass' AND b.outcome = 0";
  constexpr std::string_view kReviewOf =
      "(SELECT 1 FROM audit_record r WHERE r.related_seq = b.seq AND "
      "r.event_type = 'break-glass-review' AND r.outcome = 0)";
  static const std::string kUnreviewed = "SELECT b.seq FROM audit_record b WHERE " +
                                         std::string(kGranted) + " AND NOT EXISTS " +
                                         std::string(kReviewOf) + " ORDER BY b.seq LIMIT ?1";
  static const std::string kReviewed = "SELECT b.seq FROM audit_record b WHERE " +
                                       std::string(kGranted) + " AND EXISTS " +
                                       std::string(kReviewOf) + " ORDER BY b.seq DESC LIMIT ?1";
  auto tx =
      store::sqlite::Transaction::begin(store.db(), store::sqlite::TransactionMode::kDeferred);
  if (!tx) {
    return tx.error();
  }
  GW_STORE_ASSIGN(auto open, seqs(store, kUnreviewed, limit));
  std::vector<std::uint64_t> all = open;
  if (all.size() < limit) {
    GW_STORE_ASSIGN(auto done, seqs(store, kReviewed, limit - all.size()));
    all.insert(all.end(), done.begin(), done.end());
  }
  std::vector<BreakGlassItem> out;
  for (auto seq : all) {
    BreakGlassItem item;
    GW_STORE_ASSIGN(item.event, store.get(seq));
    GW_STORE_ASSIGN(item.review, latest_review(store, seq));
    out.push_back(std::move(item));
  }
  return out;
}

bool is_granted_break_glass(const AuditRecord& r) {
  return r.type == EventType::kBreakGlass && r.decision == Decision::kBreakGlass &&
         r.outcome == Outcome::kSuccess;
}

Result<std::uint64_t> record_break_glass_review(AuditLog& log, const ReviewInput& in) {
  if (in.reviewer_id.empty()) {
    return make_error(Errc::kBadRequest, "audit: a review needs the reviewer's id");
  }
  // One review at a time in this process, so two reviewers cannot both pass the check below.
  static std::mutex review_mu;
  std::lock_guard lock(review_mu);
  auto bg = log.get(in.break_glass_seq);
  if (!bg) {
    if (bg.error().code != Errc::kNotFound) {
      return bg.error();
    }
    return make_error(Errc::kNotFound,
                      "audit: there is no record " + std::to_string(in.break_glass_seq));
  }
  if (!is_granted_break_glass(bg->record)) {
    return make_error(Errc::kNotFound,
                      "audit: record " + std::to_string(in.break_glass_seq) +
                          (bg->record.type == EventType::kBreakGlass
                               ? " is a refused break-glass attempt (a denial), not a grant"
                               : " is not a break-glass event"));
  }
  auto previous = log.with_reader(
      [&in](AuditStore& store) { return latest_review(store, in.break_glass_seq); });
  if (!previous) {
    return previous.error();
  }
  const std::optional<StoredRecord>& earlier = *previous;
  if (earlier.has_value() && !in.revise) {
    const AuditRecord& p = earlier->record;
    return make_error(Errc::kConflict, "audit: break-glass record " +
                                           std::to_string(in.break_glass_seq) +
                                           " was already reviewed (record " +
                                           std::to_string(p.seq) + ", by " + p.user_id + ")");
  }
  AuditRecord r;
  r.type = EventType::kBreakGlassReview;
  r.outcome = Outcome::kSuccess;
  r.user_id = in.reviewer_id;
  r.user_name = in.reviewer_name;
  r.user_role = in.reviewer_role;
  r.org_ods = in.reviewer_org;
  r.purpose_of_use = in.purpose_of_use;
  r.client_system = in.client_system;
  r.source_address = in.source_address;
  r.request_id = in.request_id;
  r.nhs_number = bg->record.nhs_number;
  r.related_seq = in.break_glass_seq;
  r.detail = std::string(review_outcome_name(in.outcome));
  if (!in.note.empty()) {
    r.detail.append(": ").append(in.note);
  }
  return log.append_sync(std::move(r));
}

std::optional<ReviewFinding> parse_review_detail(std::string_view detail) {
  const auto colon = detail.find(": ");
  auto outcome = parse_review_outcome(detail.substr(0, colon));
  if (!outcome) {
    return std::nullopt;
  }
  ReviewFinding f{*outcome, {}};
  if (colon != std::string_view::npos) {
    f.note = std::string(detail.substr(colon + 2));
  }
  return f;
}

std::string access_sentence(const AuditRecord& r, const OrgName& org_name) {
  const std::string when = date_words(r.recorded_us);
  const std::string who = who_words(r, org_name);
  std::string s;
  switch (r.type) {
    case EventType::kBreakGlass:
      if (!is_granted_break_glass(r)) {
        return when + ", " + who +
               " asked to open your record in an emergency but was not allowed to.";
      }
      s = when + ", " + who +
          " opened your record in an emergency, without the usual care relationship";
      if (!r.break_glass_reason.empty()) {
        s += ". The reason they gave: \"" + r.break_glass_reason + "\"";
      }
      s += ". Our information governance team checks every emergency access.";
      return s;
    case EventType::kDisclosure:
    case EventType::kMessageDelivered: {
      const std::string to = r.peer_ods.empty()
                                 ? std::string("another organisation")
                                 : (org_name && !org_name(r.peer_ods).empty()
                                        ? org_name(r.peer_ods)
                                        : "the organisation with code " + r.peer_ods);
      return when + ", information about you was sent to " + to + ".";
    }
    case EventType::kRecordSearch:
      if (r.decision == Decision::kDeny || r.outcome != Outcome::kSuccess) {
        return when + ", " + who + " searched for your record but was not allowed to see it.";
      }
      return when + ", " + who + " searched for and found your record" +
             purpose_words(r.purpose_of_use) + ".";
    default:
      break;
  }
  if (r.decision == Decision::kDeny || r.outcome == Outcome::kMinorFailure) {
    return when + ", " + who + " asked to see your record but was not allowed to.";
  }
  s = when + ", " + who + " looked at your record" + purpose_words(r.purpose_of_use) + ".";
  if (!r.disclosed.empty()) {
    std::vector<std::string> kinds;
    for (const auto& d : r.disclosed) {
      auto w = item_words(d.resource_type);
      if (std::find(kinds.begin(), kinds.end(), w) == kinds.end()) {
        kinds.push_back(std::move(w));
      }
    }
    s += " They saw " + join_words(kinds) + ".";
  }
  if (!r.withheld.empty()) {
    s += " Some information was not shown to them (" + join_words(r.withheld) + ").";
  }
  return s;
}

Result<std::vector<AccessEntry>> access_history(AuditStore& store, std::string_view nhs_number,
                                                const OrgName& org_name) {
  QueryFilter f;
  f.nhs_number = std::string(nhs_number);
  f.types = {EventType::kRecordRead, EventType::kRecordSearch, EventType::kAccessDecision,
             EventType::kBreakGlass, EventType::kDisclosure,   EventType::kMessageDelivered};
  PageRequest page;
  page.limit = kMaxPageSize;
  std::vector<AccessEntry> out;
  for (;;) {
    GW_STORE_ASSIGN(auto p, store.query(f, page));
    for (const auto& sr : p.records) {
      out.push_back({sr.record.seq, sr.record.recorded_us, access_sentence(sr.record, org_name)});
    }
    if (p.next_cursor.empty()) {
      break;
    }
    page.cursor = p.next_cursor;
  }
  return out;
}

Result<std::vector<DeniedCount>> denied_summary(AuditStore& store, std::int64_t from_us,
                                                std::int64_t to_us) {
  GW_STORE_ASSIGN(auto st,
                  store.db().cached("SELECT coalesce(user_id, ''), coalesce(org_ods, ''), "
                                    "count(*), max(recorded_us) FROM audit_record WHERE decision "
                                    "= 'deny' AND recorded_us >= ?1 AND recorded_us < ?2 GROUP "
                                    "BY 1, 2 ORDER BY 3 DESC, 1, 2"));
  st->bind(1, from_us).bind(2, to_us);
  std::vector<DeniedCount> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      break;
    }
    out.push_back({std::string(st->column_text(0)), std::string(st->column_text(1)),
                   static_cast<std::uint64_t>(st->column_int64(2)), st->column_int64(3)});
  }
  return out;
}

std::string fold_for_comparison(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      out.push_back(c);  // a byte of a non-ASCII letter: kept as it is ("Müller" is not "Muller")
    } else if (std::isalnum(u) != 0) {
      out.push_back(static_cast<char>(std::tolower(u)));
    }
  }
  return out;
}

bool same_surname(const PersonFacts& user, const PersonFacts& patient) {
  const std::string a = fold_for_comparison(user.surname);
  return !a.empty() && a == fold_for_comparison(patient.surname);
}

bool same_address(const PersonFacts& user, const PersonFacts& patient) {
  const std::string pc = fold_for_comparison(user.postcode);
  if (pc.empty() || pc != fold_for_comparison(patient.postcode)) {
    return false;
  }
  const std::string a = fold_for_comparison(user.address_line);
  const std::string b = fold_for_comparison(patient.address_line);
  return a.empty() || b.empty() || a == b;
}

std::string_view unusual_kind_name(UnusualKind k) {
  switch (k) {
    case UnusualKind::kManyPatients:
      return "many-patients";
    case UnusualKind::kSharedSurname:
      return "shared-surname";
    case UnusualKind::kSharedAddress:
      return "shared-address";
  }
  return "many-patients";
}

Result<std::vector<UnusualFinding>> unusual_activity(AuditStore& store, std::int64_t from_us,
                                                     std::int64_t to_us, const UnusualThresholds& t,
                                                     DemographicsSource* source) {
  GW_STORE_ASSIGN(auto st, store.db().cached(std::string(kUnusualActivityScan)));
  st->bind(1, from_us).bind(2, to_us);
  std::vector<UnusualFinding> out;
  std::string user;
  struct Access {
    std::int64_t at;
    std::string nhs;
    std::uint64_t seq;
  };
  std::deque<Access> window;
  std::unordered_map<std::string, int> in_window;
  std::optional<UnusualFinding> busiest;
  std::set<std::pair<std::string, std::string>> compared;
  std::unordered_map<std::string, std::optional<PersonFacts>> users, patients;
  auto flush_user = [&] {
    if (busiest) {
      out.push_back(*busiest);
    }
    busiest.reset();
    window.clear();
    in_window.clear();
  };
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      break;
    }
    std::string u(st->column_text(0));
    const std::int64_t at = st->column_int64(1);
    std::string nhs(st->column_text(2));
    const auto seq = static_cast<std::uint64_t>(st->column_int64(3));
    if (u != user) {
      flush_user();
      user = u;
    }
    window.push_back({at, nhs, seq});
    ++in_window[nhs];
    while (!window.empty() && window.front().at < at - t.window_us) {
      if (--in_window[window.front().nhs] == 0) {
        in_window.erase(window.front().nhs);
      }
      window.pop_front();
    }
    const auto distinct = static_cast<std::uint32_t>(in_window.size());
    if (distinct >= t.distinct_patients && (!busiest || distinct > busiest->patients)) {
      busiest = UnusualFinding{UnusualKind::kManyPatients,
                               user,
                               window.front().seq,
                               window.front().at,
                               at,
                               distinct,
                               {}};
    }
    if (source != nullptr && (t.match_surname || t.match_address) &&
        compared.insert({user, nhs}).second) {
      if (!users.contains(user)) {
        users[user] = source->user(user);
      }
      if (!patients.contains(nhs)) {
        patients[nhs] = source->patient(nhs);
      }
      const auto& uf = users[user];
      const auto& pf = patients[nhs];
      if (uf && pf) {
        if (t.match_surname && same_surname(*uf, *pf)) {
          out.push_back({UnusualKind::kSharedSurname, user, seq, at, at, 1, nhs});
        }
        if (t.match_address && same_address(*uf, *pf)) {
          out.push_back({UnusualKind::kSharedAddress, user, seq, at, at, 1, nhs});
        }
      }
    }
  }
  flush_user();
  return out;
}

}  // namespace gw::audit
