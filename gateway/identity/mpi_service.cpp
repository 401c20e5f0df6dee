// The MPI service: the decision rules of MATCHING.md over the stored index.
#include "gateway/identity/mpi_service.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/identity/normalise.hpp"

namespace gw::identity {
namespace {

using store::MpiTransaction;
using store::PersonId;

constexpr std::string_view kServiceActor = "caregw-mpi";

store::Gender store_gender(Gender g) {
  switch (g) {
    case Gender::kMale:
      return store::Gender::kMale;
    case Gender::kFemale:
      return store::Gender::kFemale;
    case Gender::kOther:
      return store::Gender::kOther;
    case Gender::kUnknown:
      break;
  }
  return store::Gender::kUnknown;
}

bool verified(const IncomingIdentity& in) {
  return in.match.nhs_number.has_value() &&
         in.match.nhs_status == VerificationStatus::kPresentVerified;
}

/** A status is better than another when it is verified and the other is not. */
bool improves(VerificationStatus incoming, const store::Person& held) {
  return incoming == VerificationStatus::kPresentVerified &&
         held.nhs_verification != VerificationStatus::kPresentVerified;
}

/** identity_json: the incoming identity for a review item (the reviewer's "incoming" side). */
std::string identity_json(const IncomingIdentity& in, std::optional<PersonId> provisional) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view key, std::string_view value) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  str("source", in.source.str());
  if (in.local_id) {
    str("local_id_type", store::local_id_type_code(in.local_id->type));
    str("local_id", in.local_id->value);
  }
  if (in.match.nhs_number) {
    str("nhs_number", in.match.nhs_number->str());
    str("nhs_verification", verification_code(in.match.nhs_status));
  }
  str("family", in.match.family);
  w.Key("given");
  w.StartArray();
  for (const auto& g : in.match.given) {
    w.String(g.data(), static_cast<rapidjson::SizeType>(g.size()));
  }
  w.EndArray();
  if (in.match.birth_date) {
    str("birth_date", in.match.birth_date->str());
  }
  if (in.match.birth_year_tolerance > 0) {
    w.Key("birth_year_tolerance");
    w.Int(in.match.birth_year_tolerance);
  }
  str("gender", gender_code(parse_gender(in.match.gender)));
  str("postcode", in.match.postcode);
  if (provisional) {
    w.Key("provisional_person");
    w.Int64(provisional->value);
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

/** scores_json: the best candidate's field-by-field breakdown, for the reviewer. */
std::string scores_json(const std::vector<RankedCandidate>& ranked) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  if (!ranked.empty()) {
    const auto& best = ranked.front().score;
    w.Key("best_person");
    w.Uint64(ranked.front().id);
    w.Key("total");
    w.Double(best.total);
    w.Key("grade");
    const auto grade = match_grade_code(best.grade);
    w.String(grade.data(), static_cast<rapidjson::SizeType>(grade.size()));
    w.Key("fields");
    w.StartObject();
    for (const auto& f : best.fields) {
      const auto name = field_name(f.field);
      w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
      w.StartObject();
      w.Key("agreement");
      const auto a = agreement_name(f.level);
      w.String(a.data(), static_cast<rapidjson::SizeType>(a.size()));
      w.Key("weight");
      w.Double(f.weight);
      w.EndObject();
    }
    w.EndObject();
    w.Key("rules");
    w.StartArray();
    for (std::uint8_t bit = 1; bit != 0 && bit <= 32; bit = static_cast<std::uint8_t>(bit << 1)) {
      if ((best.rules & bit) != 0) {
        const auto r = rule_name(static_cast<MatchRule>(bit));
        w.String(r.data(), static_cast<rapidjson::SizeType>(r.size()));
      }
    }
    w.EndArray();
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

/** provisional_person_of: the provisional person a possible-match item recorded, if any. */
std::optional<PersonId> provisional_person_of(const store::ReviewItem& item) {
  rapidjson::Document doc;
  doc.Parse(item.incoming_json.data(), item.incoming_json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return std::nullopt;
  }
  const auto it = doc.FindMember("provisional_person");
  if (it == doc.MemberEnd() || !it->value.IsInt64()) {
    return std::nullopt;
  }
  return PersonId{it->value.GetInt64()};
}

/** incoming_nhs_number_of: the NHS number a conflict item's message carried. */
std::optional<std::pair<NhsNumber, VerificationStatus>> incoming_nhs_number_of(
    const store::ReviewItem& item) {
  rapidjson::Document doc;
  doc.Parse(item.incoming_json.data(), item.incoming_json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return std::nullopt;
  }
  const auto n = doc.FindMember("nhs_number");
  const auto s = doc.FindMember("nhs_verification");
  if (n == doc.MemberEnd() || !n->value.IsString()) {
    return std::nullopt;
  }
  auto number = NhsNumber::parse(n->value.GetString());
  VerificationStatus status = VerificationStatus::kPresentNotTraced;
  if (s != doc.MemberEnd() && s->value.IsString()) {
    (void)parse_verification_status(s->value.GetString(), status);
  }
  if (!number) {
    return std::nullopt;
  }
  return std::pair{*number, status};
}

}  // namespace

std::string_view identify_outcome_code(IdentifyOutcome o) {
  switch (o) {
    case IdentifyOutcome::kKnownLocalId:
      return "known-local-id";
    case IdentifyOutcome::kVerifiedNhsNumber:
      return "verified-nhs-number";
    case IdentifyOutcome::kProbabilistic:
      return "probabilistic";
    case IdentifyOutcome::kNewPerson:
      return "new-person";
    case IdentifyOutcome::kPossibleMatch:
      return "possible-match";
    case IdentifyOutcome::kNhsNumberConflict:
      return "nhs-number-conflict";
  }
  return "unknown";
}

std::optional<ReviewDecision::Kind> parse_review_decision(std::string_view code) {
  if (code == "link") {
    return ReviewDecision::Kind::kLink;
  }
  if (code == "not-duplicate") {
    return ReviewDecision::Kind::kNotDuplicate;
  }
  if (code == "new-person") {
    return ReviewDecision::Kind::kNewPerson;
  }
  return std::nullopt;
}

store::Demographics to_store_demographics(const IncomingIdentity& in) {
  store::Demographics d;
  d.family = in.match.family;
  d.given = in.match.given;
  for (const auto& f : in.match.previous_families) {
    d.previous_names.push_back({f, {}});
  }
  if (in.match.birth_date && in.match.birth_date->complete() &&
      in.match.birth_year_tolerance == 0) {
    const auto& b = in.match.birth_date;
    d.birth_date = std::chrono::year_month_day{std::chrono::year{b->year},
                                               std::chrono::month{static_cast<unsigned>(b->month)},
                                               std::chrono::day{static_cast<unsigned>(b->day)}};
  }
  d.gender = store_gender(parse_gender(in.match.gender));
  d.address_lines = in.address_lines;
  if (auto pc = parse_postcode(in.match.postcode)) {
    d.postcode = pc->full;
  } else {
    d.postcode = in.match.postcode;
  }
  d.telecom = in.telecom;
  return d;
}

Demographics to_match_demographics(const store::DemographicsVersion& v,
                                   const store::Person& person) {
  Demographics d;
  d.nhs_number = person.nhs_number;
  d.nhs_status = person.nhs_verification.value_or(VerificationStatus::kPresentNotTraced);
  d.family = v.data.family;
  d.given = v.data.given;
  for (const auto& n : v.data.previous_names) {
    if (!n.family.empty()) {
      d.previous_families.push_back(n.family);
    }
  }
  if (v.data.birth_date) {
    const auto& b = *v.data.birth_date;
    d.birth_date = Date{static_cast<int>(b.year()), static_cast<int>(unsigned(b.month())),
                        static_cast<int>(unsigned(b.day()))};
  }
  d.gender = std::string(store::gender_code(v.data.gender));
  d.postcode = v.data.postcode;
  return d;
}

MpiService::MpiService(store::MpiRepository& repo, MpiSettings settings)
    : repo_(repo), settings_(std::move(settings)) {
  settings_.candidate_limit =
      std::clamp<std::size_t>(settings_.candidate_limit, 1, store::kMaxCandidates);
  settings_.write_attempts = std::max(1, settings_.write_attempts);
}

namespace {

/** in_transaction: runs `unit` in one transaction and commits; retries while the store is busy.
 */
template <class T>
Result<T> in_transaction(store::MpiRepository& repo, int attempts,
                         const std::function<Result<T>(MpiTransaction&)>& unit) {
  Error last = make_error(Errc::kUnavailable, "the patient index stayed busy");
  for (int i = 0; i < attempts; ++i) {
    auto tx = repo.begin();
    if (!tx) {
      last = tx.error();
      if (last.code == Errc::kUnavailable) {
        continue;
      }
      return last;
    }
    auto out = unit(**tx);
    if (!out) {
      if (out.error().code == Errc::kUnavailable) {
        last = out.error();
        continue;
      }
      return out.error();
    }
    auto done = (*tx)->commit();
    if (!done) {
      last = done.error();
      if (last.code == Errc::kUnavailable) {
        continue;
      }
      return last;
    }
    return out;
  }
  return last;
}

/** record_details: what the source says now, its blocking keys and (if better) its number. */
Result<void> record_details(MpiTransaction& tx, PersonId person, const IncomingIdentity& in,
                            bool set_number) {
  const store::DemographicsSource src{in.source, in.valid_from, in.message_id};
  if (auto r = tx.add_demographics(person, to_store_demographics(in), src); !r) {
    return r.error();
  }
  auto keys = blocking_keys(in.match);
  if (!keys.empty()) {
    if (auto r = tx.add_blocking_keys(person, keys); !r) {
      return r.error();
    }
  }
  if (set_number && in.match.nhs_number) {
    if (auto r = tx.set_nhs_number(person, *in.match.nhs_number, in.match.nhs_status, in.source,
                                   in.message_id);
        !r) {
      return r.error();
    }
  }
  return {};
}

/** link_new: links the incoming local identifier (if any) to a person. */
Result<void> link_new(MpiTransaction& tx, const IncomingIdentity& in, PersonId person,
                      const store::LinkProvenance& how) {
  if (!in.local_id) {
    return {};
  }
  auto r = tx.link_local_identifier(*in.local_id, person, how);
  if (!r) {
    return r.error();
  }
  return {};
}

/** create: a new person from the identity; the NHS number goes with it unless someone holds it.
 */
Result<PersonId> create(MpiTransaction& tx, const IncomingIdentity& in, bool& number_taken) {
  store::NewPerson np{in.match.nhs_number, in.match.nhs_status, in.source, in.message_id};
  if (!np.nhs_number) {
    np.verification = VerificationStatus::kNotPresentTraceNotRequired;
  }
  number_taken = false;
  if (np.nhs_number) {
    auto holder = tx.find_by_nhs_number(*np.nhs_number);
    if (!holder) {
      return holder.error();
    }
    if (holder->has_value()) {
      // Someone else holds this (unverified) number: keep the person apart and without it.
      number_taken = true;
      np.nhs_number.reset();
      np.verification = VerificationStatus::kNotPresentTraceNotRequired;
    }
  }
  return tx.create_person(np);
}

}  // namespace

Result<IdentifyResult> MpiService::identify(const IncomingIdentity& in) {
  if (!in.local_id && !in.match.nhs_number && in.match.family.empty()) {
    return make_error(Errc::kBadRequest,
                      "the patient has no local identifier, NHS number or family name to "
                      "identify them by");
  }
  if (in.local_id) {
    if (auto v = store::validate_local_id(*in.local_id); !v) {
      return v.error();
    }
  }
  const auto query = prepare(in.match);
  const auto settings = settings_;
  std::function<Result<IdentifyResult>(MpiTransaction&)> unit =
      [&in, &query, &settings](MpiTransaction& tx) -> Result<IdentifyResult> {
    // 1. A known local identifier.
    if (in.local_id) {
      auto known = tx.find_by_local_id(*in.local_id);
      if (!known) {
        return known.error();
      }
      if (known->has_value()) {
        const store::Person& p = **known;
        if (in.match.nhs_number && p.nhs_number && !(*in.match.nhs_number == *p.nhs_number)) {
          IdentifyResult held{IdentifyOutcome::kNhsNumberConflict, p.id, std::nullopt, std::nullopt,
                              "the NHS number differs from the one held for this local "
                              "identifier; the details are held for review and were not applied"};
          auto open = tx.open_review_items_for(*in.local_id);
          if (!open) {
            return open.error();
          }
          if (!open->empty()) {
            held.review = open->front();
            return held;
          }
          store::NewReviewItem item{store::ReviewKind::kNhsNumberConflict,
                                    in.source,
                                    in.local_id,
                                    in.message_id,
                                    identity_json(in, std::nullopt),
                                    "{}",
                                    {{p.id, std::nullopt}},
                                    std::string(kServiceActor)};
          auto id = tx.open_review_item(item);
          if (!id) {
            return id.error();
          }
          held.review = *id;
          return held;
        }
        const bool set_number =
            in.match.nhs_number && (!p.nhs_number || improves(in.match.nhs_status, p));
        if (auto r = record_details(tx, p.id, in, set_number); !r) {
          return r.error();
        }
        return IdentifyResult{IdentifyOutcome::kKnownLocalId, p.id};
      }
    }
    // 2. A verified NHS number the MPI holds.
    if (verified(in)) {
      auto holder = tx.find_by_nhs_number(*in.match.nhs_number);
      if (!holder) {
        return holder.error();
      }
      if (holder->has_value()) {
        const store::Person& p = **holder;
        if (auto r =
                link_new(tx, in, p.id, store::LinkProvenance::verified_nhs_number(in.message_id));
            !r) {
          return r.error();
        }
        if (auto r = record_details(tx, p.id, in, improves(in.match.nhs_status, p)); !r) {
          return r.error();
        }
        return IdentifyResult{IdentifyOutcome::kVerifiedNhsNumber, p.id};
      }
    }
    // 3. Score the candidates that share a blocking key.
    std::vector<RankedCandidate> ranked;
    auto keys = blocking_keys(query);
    if (!keys.empty()) {
      auto candidates = tx.candidates(keys, settings.candidate_limit);
      if (!candidates) {
        return candidates.error();
      }
      for (const PersonId c : *candidates) {
        auto person = tx.get_person(c);
        auto versions = tx.current_demographics(c);
        if (!person) {
          return person.error();
        }
        if (!versions) {
          return versions.error();
        }
        if (!person->has_value()) {
          continue;
        }
        std::optional<MatchScore> best;
        for (const auto& v : *versions) {
          auto s = score(query, prepare(to_match_demographics(v, **person)), settings.weights,
                         settings.thresholds);
          if (!best || s.total > best->total) {
            best = s;
          }
        }
        if (best) {
          ranked.push_back({static_cast<std::uint64_t>(c.value), *best});
        }
      }
    }
    const MatchDecision decision = rank(ranked, settings.thresholds);
    std::optional<double> best_total;
    if (!ranked.empty()) {
      best_total = ranked.front().score.total;
    }
    if (decision == MatchDecision::kAutoLink) {
      const PersonId p{static_cast<std::int64_t>(ranked.front().id)};
      if (auto r =
              link_new(tx, in, p, store::LinkProvenance::probabilistic(*best_total, in.message_id));
          !r) {
        return r.error();
      }
      auto held = tx.get_person(p);
      if (!held) {
        return held.error();
      }
      const bool set_number = in.match.nhs_number && held->has_value() && !(*held)->nhs_number;
      if (auto r = record_details(tx, p, in, set_number); !r) {
        return r.error();
      }
      return IdentifyResult{IdentifyOutcome::kProbabilistic, p, std::nullopt, best_total};
    }
    bool number_taken = false;
    auto created = create(tx, in, number_taken);
    if (!created) {
      return created.error();
    }
    if (auto r = link_new(tx, in, *created, store::LinkProvenance::exact_identifier(in.message_id));
        !r) {
      return r.error();
    }
    if (auto r = record_details(tx, *created, in, false); !r) {
      return r.error();
    }
    if (decision == MatchDecision::kNewPerson && !number_taken) {
      return IdentifyResult{IdentifyOutcome::kNewPerson, *created, std::nullopt, best_total};
    }
    // Review: keep the data under a provisional person and ask a human.
    store::NewReviewItem item{store::ReviewKind::kPossibleMatch,
                              in.source,
                              in.local_id,
                              in.message_id,
                              identity_json(in, *created),
                              scores_json(ranked),
                              {},
                              std::string(kServiceActor)};
    for (const auto& c : ranked) {
      if (c.score.grade == MatchGrade::kNoMatch || item.candidates.size() >= 20) {
        break;
      }
      item.candidates.push_back({PersonId{static_cast<std::int64_t>(c.id)}, c.score.total});
    }
    auto id = tx.open_review_item(item);
    if (!id) {
      return id.error();
    }
    return IdentifyResult{IdentifyOutcome::kPossibleMatch, *created, *id, best_total,
                          "the patient may be someone already known; held for review under a "
                          "provisional record"};
  };
  return in_transaction<IdentifyResult>(repo_, settings_.write_attempts, unit);
}

Result<std::optional<store::PersonView>> MpiService::find_by_nhs_number(const NhsNumber& n) {
  auto p = repo_.find_by_nhs_number(n);
  if (!p) {
    return p.error();
  }
  if (!p->has_value()) {
    return std::optional<store::PersonView>{};
  }
  return repo_.person_view((*p)->id);
}

Result<std::optional<store::PersonView>> MpiService::find_by_local_id(const store::LocalId& id) {
  auto p = repo_.find_by_local_id(id);
  if (!p) {
    return p.error();
  }
  if (!p->has_value()) {
    return std::optional<store::PersonView>{};
  }
  return repo_.person_view((*p)->id);
}

Result<std::optional<store::PersonView>> MpiService::person(store::PersonId id) {
  return repo_.person_view(id);
}

Result<std::vector<SearchMatch>> MpiService::search(const Demographics& query, std::size_t limit) {
  std::vector<SearchMatch> out;
  const auto q = prepare(query);
  auto keys = blocking_keys(q);
  if (keys.empty()) {
    return out;
  }
  auto candidates = repo_.candidates(keys, settings_.candidate_limit);
  if (!candidates) {
    return candidates.error();
  }
  for (const PersonId c : *candidates) {
    auto view = repo_.person_view(c);
    if (!view) {
      return view.error();
    }
    if (!view->has_value()) {
      continue;
    }
    std::optional<MatchScore> best;
    for (const auto& v : (*view)->current_demographics) {
      auto s = score(q, prepare(to_match_demographics(v, (*view)->person)), settings_.weights,
                     settings_.thresholds);
      if (!best || s.total > best->total) {
        best = s;
      }
    }
    if (best && best->grade != MatchGrade::kNoMatch) {
      out.push_back({std::move(**view), *best});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const SearchMatch& a, const SearchMatch& b) {
    if (a.score.total != b.score.total) {
      return a.score.total > b.score.total;
    }
    return a.person.person.id < b.person.person.id;
  });
  if (out.size() > limit) {
    out.resize(limit);
  }
  return out;
}

Result<store::MergeId> MpiService::merge_local_ids(const store::LocalId& survivor,
                                                   const store::LocalId& superseded,
                                                   const std::string& reason,
                                                   const std::string& actor,
                                                   const std::string& message_id) {
  std::function<Result<store::MergeId>(MpiTransaction&)> unit =
      [&](MpiTransaction& tx) -> Result<store::MergeId> {
    auto keep = tx.find_by_local_id(survivor);
    if (!keep) {
      return keep.error();
    }
    auto gone = tx.find_by_local_id(superseded);
    if (!gone) {
      return gone.error();
    }
    if (!keep->has_value()) {
      return make_error(Errc::kNotFound, "the surviving patient identifier is not known");
    }
    if (!gone->has_value()) {
      return make_error(Errc::kNotFound, "the superseded patient identifier is not known");
    }
    return tx.merge({(*keep)->id, (*gone)->id, reason, actor, message_id});
  };
  return in_transaction<store::MergeId>(repo_, settings_.write_attempts, unit);
}

Result<void> MpiService::unmerge(store::PersonId superseded, const std::string& reason,
                                 const std::string& actor, const std::string& message_id) {
  std::function<Result<bool>(MpiTransaction&)> unit = [&](MpiTransaction& tx) -> Result<bool> {
    auto r = tx.unmerge(superseded, {reason, actor, message_id});
    if (!r) {
      return r.error();
    }
    return true;
  };
  auto done = in_transaction<bool>(repo_, settings_.write_attempts, unit);
  if (!done) {
    return done.error();
  }
  return {};
}

Result<std::vector<store::ReviewItem>> MpiService::review_items(const store::ReviewFilter& filter) {
  return repo_.list_review_items(filter);
}

Result<std::optional<store::ReviewInspection>> MpiService::inspect(store::ReviewItemId id,
                                                                   const std::string& actor) {
  std::function<Result<std::optional<store::ReviewInspection>>(MpiTransaction&)> unit =
      [&](MpiTransaction& tx) -> Result<std::optional<store::ReviewInspection>> {
    auto found = tx.inspect_review_item(id);
    if (!found) {
      return found.error();
    }
    if (found->has_value()) {
      if (auto r = tx.add_review_action(id, store::ReviewActionKind::kInspected, actor, ""); !r) {
        return r.error();
      }
    }
    return found;
  };
  return in_transaction<std::optional<store::ReviewInspection>>(repo_, settings_.write_attempts,
                                                                unit);
}

Result<store::PersonId> MpiService::resolve(store::ReviewItemId id,
                                            const ReviewDecision& decision) {
  if (decision.kind == ReviewDecision::Kind::kLink && !decision.person) {
    return make_error(Errc::kBadRequest, "a 'link' decision needs the person to link to");
  }
  std::function<Result<PersonId>(MpiTransaction&)> unit =
      [&](MpiTransaction& tx) -> Result<PersonId> {
    auto found = tx.get_review_item(id);
    if (!found) {
      return found.error();
    }
    if (!found->has_value()) {
      return make_error(Errc::kNotFound, "no such review item");
    }
    const store::ReviewItem& item = **found;
    if (item.status != store::ReviewStatus::kOpen) {
      return make_error(Errc::kConflict, "the review item is already resolved");
    }
    std::optional<PersonId> target;
    if (decision.person) {
      auto r = tx.resolve(*decision.person);
      if (!r) {
        return r.error();
      }
      target = *r;
    }
    store::ReviewResolution res{store::ReviewStatus::kLinked, decision.actor, std::nullopt,
                                decision.note};
    PersonId result{};
    if (item.kind == store::ReviewKind::kPossibleMatch) {
      auto provisional = provisional_person_of(item);
      if (!provisional) {
        return make_error(Errc::kInternal, "the review item names no provisional person");
      }
      auto current = tx.resolve(*provisional);
      if (!current) {
        return current.error();
      }
      switch (decision.kind) {
        case ReviewDecision::Kind::kLink:
          if (*current != *target) {
            auto m = tx.merge({*target, *current, "review item " + std::to_string(id.value),
                               decision.actor, item.message_id});
            if (!m) {
              return m.error();
            }
          }
          res.status = store::ReviewStatus::kLinked;
          result = *target;
          break;
        case ReviewDecision::Kind::kNotDuplicate:
          res.status = store::ReviewStatus::kNotDuplicate;
          result = *current;
          break;
        case ReviewDecision::Kind::kNewPerson:
          res.status = store::ReviewStatus::kNewPerson;
          result = *current;
          break;
      }
    } else {  // NHS number conflict
      if (!item.local_id) {
        return make_error(Errc::kInternal, "the conflict names no local identifier");
      }
      auto holder = tx.find_by_local_id(*item.local_id);
      if (!holder) {
        return holder.error();
      }
      if (!holder->has_value()) {
        return make_error(Errc::kNotFound, "the local identifier is no longer known");
      }
      const auto manual = store::LinkProvenance::manual(decision.actor, id);
      switch (decision.kind) {
        case ReviewDecision::Kind::kLink:
          if ((*holder)->id != *target) {
            if (auto r = tx.relink_local_identifier(*item.local_id, *target, manual); !r) {
              return r.error();
            }
          }
          res.status = store::ReviewStatus::kLinked;
          result = *target;
          break;
        case ReviewDecision::Kind::kNotDuplicate:
          res.status = store::ReviewStatus::kNotDuplicate;
          result = (*holder)->id;
          break;
        case ReviewDecision::Kind::kNewPerson: {
          auto number = incoming_nhs_number_of(item);
          store::NewPerson np{std::nullopt, VerificationStatus::kNotPresentTraceNotRequired,
                              item.source, item.message_id};
          if (number) {
            auto taken = tx.find_by_nhs_number(number->first);
            if (!taken) {
              return taken.error();
            }
            if (!taken->has_value()) {
              np.nhs_number = number->first;
              np.verification = number->second;
            }
          }
          auto created = tx.create_person(np);
          if (!created) {
            return created.error();
          }
          if (auto r = tx.relink_local_identifier(*item.local_id, *created, manual); !r) {
            return r.error();
          }
          res.status = store::ReviewStatus::kNewPerson;
          result = *created;
          break;
        }
      }
    }
    if (res.status != store::ReviewStatus::kNotDuplicate) {
      res.person = result;
    }
    if (auto r = tx.resolve_review_item(id, res); !r) {
      return r.error();
    }
    return result;
  };
  return in_transaction<PersonId>(repo_, settings_.write_attempts, unit);
}

}  // namespace gw::identity
