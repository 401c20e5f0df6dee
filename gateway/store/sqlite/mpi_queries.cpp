// The MPI on SQLite: each call is a handful of indexed statements (see mpi_sql.hpp). Merges
// only set superseded_by, so reads follow the chain to the survivor and an unmerge is exact.
#include "gateway/store/sqlite/mpi_queries.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "gateway/store/sqlite/mpi_rows.hpp"
#include "gateway/store/sqlite/mpi_sql.hpp"
#include "gateway/store/sqlite/try.hpp"

namespace gw::store::sqlite::detail {
namespace {

namespace sql = mpi_sql;

Error internal(std::string detail) { return make_error(Errc::kInternal, std::move(detail)); }

Result<void> check_actor(const std::string& actor, std::string_view field) {
  return validate_short_text(actor, kMaxActorBytes, field, true);
}

Result<void> check_message_id(const std::string& id) {
  return validate_short_text(id, kMaxActorBytes, "message id", false);
}

Result<void> check_verification(VerificationStatus v) {
  const auto code = static_cast<int>(v);
  if (code < 1 || code > 8) {
    return make_error(Errc::kBadRequest, "NHS number verification status: not 01 to 08");
  }
  return {};
}

ReviewActionKind action_for(ReviewStatus s) {
  switch (s) {
    case ReviewStatus::kLinked:
      return ReviewActionKind::kLinked;
    case ReviewStatus::kNotDuplicate:
      return ReviewActionKind::kMarkedNotDuplicate;
    case ReviewStatus::kNewPerson:
    case ReviewStatus::kOpen:
      break;
  }
  return ReviewActionKind::kCreatedNewPerson;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Helpers

std::int64_t MpiQueries::now_us() const { return to_us(clock_.now()); }

Result<std::optional<Person>> MpiQueries::get_person(PersonId id) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kPersonById));
  st->bind(1, id.value);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::optional<Person>();
  }
  GW_STORE_ASSIGN(auto p, read_person(*st));
  return std::optional<Person>(std::move(p));
}

Result<std::optional<Person>> MpiQueries::follow(std::optional<Person> start) {
  if (!start) {
    return start;
  }
  Person p = std::move(*start);
  for (int hops = 0;; ++hops) {
    const std::optional<PersonId> next_id = p.superseded_by;
    if (!next_id) {
      break;
    }
    if (hops >= kMaxChain) {
      return internal("store: a superseded-person chain is too long or cyclic");
    }
    GW_STORE_ASSIGN(auto next, get_person(*next_id));
    if (!next) {
      return internal("store: a superseded person points at a missing person");
    }
    p = std::move(*next);
  }
  return std::optional<Person>(std::move(p));
}

Result<Person> MpiQueries::resolved_person(PersonId id) {
  GW_STORE_ASSIGN(auto start, get_person(id));
  if (!start) {
    return make_error(Errc::kNotFound, "store: no such person");
  }
  GW_STORE_ASSIGN(auto p, follow(std::move(start)));
  if (!p) {
    return internal("store: a person vanished while being resolved");
  }
  return std::move(*p);
}

Result<std::vector<PersonId>> MpiQueries::merged_set(PersonId survivor) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kMergedSet));
  st->bind(1, survivor.value);
  std::vector<PersonId> ids;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return ids;
    }
    ids.push_back(PersonId{st->column_int64(0)});
  }
}

Result<std::vector<PersonId>> MpiQueries::family_of(PersonId id) {
  auto survivor = resolve(id);
  if (!survivor) {
    if (survivor.error().code == Errc::kNotFound) {
      return std::vector<PersonId>();
    }
    return survivor.error();
  }
  return merged_set(*survivor);
}

Result<void> MpiQueries::touch(PersonId id, std::int64_t now) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kTouchPerson));
  st->bind(1, id.value).bind(2, now);
  return st->run();
}

Result<std::optional<std::int64_t>> MpiQueries::local_identifier_row(const LocalId& id,
                                                                     PersonId* person) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kLocalIdByKey));
  st->bind(1, id.source.str()).bind(2, local_id_type_code(id.type)).bind(3, id.value);
  GW_STORE_ASSIGN(bool row, st->step());
  if (!row) {
    return std::optional<std::int64_t>();
  }
  if (person != nullptr) {
    *person = PersonId{st->column_int64(1)};
  }
  return std::optional<std::int64_t>(st->column_int64(0));
}

// ---------------------------------------------------------------------------------------------
// Reads

Result<std::optional<Person>> MpiQueries::find_by_nhs_number(const NhsNumber& n) {
  std::optional<Person> start;
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kPersonByNhsNumber));
    st->bind(1, n.str());
    GW_STORE_ASSIGN(bool row, st->step());
    if (row) {
      GW_STORE_ASSIGN(start, read_person(*st));
    }
  }
  return follow(std::move(start));
}

Result<std::optional<Person>> MpiQueries::find_by_local_id(const LocalId& id) {
  GW_STORE_TRY(validate_local_id(id));
  PersonId person;
  GW_STORE_ASSIGN(auto row, local_identifier_row(id, &person));
  if (!row) {
    return std::optional<Person>();
  }
  GW_STORE_ASSIGN(auto start, get_person(person));
  return follow(std::move(start));
}

Result<PersonId> MpiQueries::resolve(PersonId id) {
  GW_STORE_ASSIGN(auto p, resolved_person(id));
  return p.id;
}

Result<std::optional<PersonView>> MpiQueries::person_view(PersonId id) {
  auto p = resolved_person(id);
  if (!p) {
    if (p.error().code == Errc::kNotFound) {
      return std::optional<PersonView>();
    }
    return p.error();
  }
  PersonView view;
  view.person = std::move(*p);
  GW_STORE_ASSIGN(auto family, merged_set(view.person.id));
  for (auto m : family) {
    if (m != view.person.id) {
      view.merged.push_back(m);
    }
  }
  GW_STORE_ASSIGN(view.local_ids, local_identifiers(view.person.id));
  GW_STORE_ASSIGN(view.current_demographics, current_demographics(view.person.id));
  return std::optional<PersonView>(std::move(view));
}

Result<std::vector<LocalIdentifierRecord>> MpiQueries::local_identifiers(PersonId id) {
  std::vector<LocalIdentifierRecord> out;
  GW_STORE_ASSIGN(auto family, family_of(id));
  for (auto m : family) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kLocalIdsByPerson));
    st->bind(1, m.value);
    for (;;) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      GW_STORE_ASSIGN(auto ods, stored_ods(st->column_text(0)));
      auto type = parse_local_id_type(st->column_text(1));
      if (!type) {
        return internal("store: a stored local identifier type is unknown");
      }
      out.push_back(
          LocalIdentifierRecord{LocalId{std::move(ods), *type, std::string(st->column_text(2))},
                                PersonId{st->column_int64(3)}, from_us(st->column_int64(4)),
                                from_us(st->column_int64(5))});
    }
  }
  return out;
}

Result<std::vector<Link>> MpiQueries::links(PersonId id) {
  std::vector<Link> out;
  GW_STORE_ASSIGN(auto family, family_of(id));
  for (auto m : family) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kLinksByPerson));
    st->bind(1, m.value);
    for (;;) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      GW_STORE_ASSIGN(auto ods, stored_ods(st->column_text(1)));
      auto type = parse_local_id_type(st->column_text(2));
      auto method = parse_link_method(st->column_text(5));
      if (!type || !method) {
        return internal("store: a stored link is malformed");
      }
      Link l{.id = LinkId{st->column_int64(0)},
             .local_id = LocalId{std::move(ods), *type, std::string(st->column_text(3))}};
      l.person = PersonId{st->column_int64(4)};
      l.provenance.method = *method;
      l.provenance.score = st->column_optional_double(6);
      l.provenance.reviewer = std::string(st->column_text(7));
      if (!st->is_null(8)) {
        l.provenance.review_item = ReviewItemId{st->column_int64(8)};
      }
      l.provenance.message_id = std::string(st->column_text(9));
      l.created_at = from_us(st->column_int64(10));
      out.push_back(std::move(l));
    }
  }
  std::sort(out.begin(), out.end(), [](const Link& a, const Link& b) { return a.id < b.id; });
  return out;
}

Result<std::vector<DemographicsVersion>> MpiQueries::demographics_of_family(
    PersonId id, std::string_view query) {
  std::vector<DemographicsVersion> out;
  GW_STORE_ASSIGN(auto family, family_of(id));
  for (auto m : family) {
    GW_STORE_ASSIGN(auto st, db_.cached(query));
    st->bind(1, m.value);
    for (;;) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      GW_STORE_ASSIGN(auto v, read_demographics(*st));
      out.push_back(std::move(v));
    }
  }
  return out;
}

Result<std::vector<DemographicsVersion>> MpiQueries::demographics_history(PersonId id) {
  GW_STORE_ASSIGN(auto out, demographics_of_family(id, sql::kDemographicsByPerson));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.source, a.valid_from, a.id) < std::tie(b.source, b.valid_from, b.id);
  });
  return out;
}

Result<std::vector<DemographicsVersion>> MpiQueries::current_demographics(PersonId id) {
  GW_STORE_ASSIGN(auto out, demographics_of_family(id, sql::kCurrentDemographicsByPerson));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(b.valid_from, b.id) < std::tie(a.valid_from, a.id);
  });
  return out;
}

Result<std::vector<NhsNumberChange>> MpiQueries::nhs_number_history(PersonId id) {
  std::vector<NhsNumberChange> out;
  GW_STORE_ASSIGN(auto family, family_of(id));
  for (auto m : family) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kNhsHistoryByPerson));
    st->bind(1, m.value);
    for (;;) {
      GW_STORE_ASSIGN(bool row, st->step());
      if (!row) {
        break;
      }
      GW_STORE_ASSIGN(auto n, stored_nhs_number(st->column_text(1)));
      GW_STORE_ASSIGN(auto v, stored_verification(st->column_int64(2)));
      GW_STORE_ASSIGN(auto ods, stored_ods(st->column_text(3)));
      out.push_back(NhsNumberChange{PersonId{st->column_int64(0)}, std::move(n), v, std::move(ods),
                                    std::string(st->column_text(4)), from_us(st->column_int64(5))});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.recorded_at < b.recorded_at; });
  return out;
}

Result<std::vector<MergeRecord>> MpiQueries::merges(PersonId id) {
  std::vector<MergeRecord> out;
  GW_STORE_ASSIGN(auto family, family_of(id));
  std::set<MergeId> seen;
  for (auto m : family) {
    for (auto q : {sql::kMergesBySuperseded, sql::kMergesBySurvivor}) {
      GW_STORE_ASSIGN(auto st, db_.cached(q));
      st->bind(1, m.value);
      for (;;) {
        GW_STORE_ASSIGN(bool row, st->step());
        if (!row) {
          break;
        }
        auto rec = read_merge(*st);
        if (seen.insert(rec.id).second) {
          out.push_back(std::move(rec));
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

Result<std::vector<PersonId>> MpiQueries::candidates(const std::vector<std::string>& keys,
                                                     std::size_t limit) {
  if (keys.size() > kMaxBlockingKeys) {
    return make_error(Errc::kBadRequest, "candidates: too many blocking keys");
  }
  if (limit > kMaxCandidates) {
    return make_error(Errc::kBadRequest, "candidates: limit too large");
  }
  for (const auto& k : keys) {
    GW_STORE_TRY(validate_short_text(k, kMaxBlockingKeyBytes, "blocking key", true));
  }
  const std::set<std::string> unique_keys(keys.begin(), keys.end());
  std::map<std::int64_t, int> hits;  // survivor → number of keys shared
  std::vector<std::pair<std::int64_t, std::optional<std::int64_t>>> block;
  for (const auto& key : unique_keys) {
    block.clear();
    {
      GW_STORE_ASSIGN(auto st, db_.cached(sql::kBlockByKey));
      st->bind(1, key).bind(2, static_cast<std::int64_t>(kMaxBlockSize + 1));
      for (;;) {
        GW_STORE_ASSIGN(bool row, st->step());
        if (!row) {
          break;
        }
        block.emplace_back(st->column_int64(0), st->column_optional_int64(1));
      }
    }
    if (block.size() > kMaxBlockSize) {
      continue;  // not selective: every person in it would be a "candidate"
    }
    std::set<std::int64_t> in_this_key;
    for (const auto& [person, superseded_by] : block) {
      std::int64_t survivor = person;
      if (superseded_by) {
        GW_STORE_ASSIGN(auto r, resolve(PersonId{person}));
        survivor = r.value;
      }
      if (in_this_key.insert(survivor).second) {
        ++hits[survivor];
      }
    }
  }
  std::vector<std::pair<int, std::int64_t>> ranked;
  ranked.reserve(hits.size());
  for (const auto& [id, n] : hits) {
    ranked.emplace_back(-n, id);
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<PersonId> out;
  for (std::size_t i = 0; i < ranked.size() && i < limit; ++i) {
    out.push_back(PersonId{ranked[i].second});
  }
  return out;
}

Result<void> MpiQueries::load_candidates(ReviewItem& item) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kReviewCandidates));
  st->bind(1, item.id.value);
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return {};
    }
    item.candidates.push_back(
        ReviewCandidate{PersonId{st->column_int64(0)}, st->column_optional_double(1)});
  }
}

Result<std::vector<ReviewItem>> MpiQueries::read_review_items(Statement& st) {
  std::vector<ReviewItem> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st.step());
    if (!row) {
      break;
    }
    GW_STORE_ASSIGN(auto item, read_review_item(st));
    out.push_back(std::move(item));
  }
  for (auto& item : out) {
    GW_STORE_TRY(load_candidates(item));
  }
  return out;
}

Result<std::vector<ReviewItem>> MpiQueries::list_review_items(const ReviewFilter& filter) {
  if (filter.limit > kMaxReviewPage) {
    return make_error(Errc::kBadRequest, "review worklist: page size too large");
  }
  const auto limit = static_cast<std::int64_t>(filter.limit);
  std::optional<std::string_view> kind;
  if (filter.kind) {
    kind = review_kind_code(*filter.kind);
  }
  if (filter.status) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kReviewItemsByStatus));
    st->bind(1, review_status_code(*filter.status))
        .bind(2, filter.after.value)
        .bind_optional(3, kind)
        .bind(4, limit);
    return read_review_items(*st);
  }
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kReviewItemsAll));
  st->bind(1, filter.after.value).bind_optional(2, kind).bind(3, limit);
  return read_review_items(*st);
}

Result<std::optional<ReviewItem>> MpiQueries::get_review_item(ReviewItemId id) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kReviewItemById));
  st->bind(1, id.value);
  GW_STORE_ASSIGN(auto items, read_review_items(*st));
  if (items.empty()) {
    return std::optional<ReviewItem>();
  }
  return std::optional<ReviewItem>(std::move(items.front()));
}

Result<std::optional<ReviewInspection>> MpiQueries::inspect_review_item(ReviewItemId id) {
  GW_STORE_ASSIGN(auto item, get_review_item(id));
  if (!item) {
    return std::optional<ReviewInspection>();
  }
  ReviewInspection out{std::move(*item), {}};
  for (const auto& c : out.item.candidates) {
    GW_STORE_ASSIGN(auto view, person_view(c.person));
    if (!view) {
      return internal("store: a review candidate is missing");
    }
    out.candidates.push_back(std::move(*view));
  }
  return std::optional<ReviewInspection>(std::move(out));
}

Result<std::vector<ReviewItemId>> MpiQueries::open_review_items_for(const LocalId& id) {
  GW_STORE_TRY(validate_local_id(id));
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kOpenReviewItemsForLocalId));
  st->bind(1, id.source.str()).bind(2, local_id_type_code(id.type)).bind(3, id.value);
  std::vector<ReviewItemId> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return out;
    }
    out.push_back(ReviewItemId{st->column_int64(0)});
  }
}

Result<std::vector<ReviewAction>> MpiQueries::review_actions(ReviewItemId id) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kReviewActions));
  st->bind(1, id.value);
  std::vector<ReviewAction> out;
  for (;;) {
    GW_STORE_ASSIGN(bool row, st->step());
    if (!row) {
      return out;
    }
    auto kind = parse_review_action(st->column_text(2));
    if (!kind) {
      return internal("store: a stored review action is unknown");
    }
    ReviewAction a;
    a.id = st->column_int64(0);
    a.item = ReviewItemId{st->column_int64(1)};
    a.kind = *kind;
    a.actor = std::string(st->column_text(3));
    if (!st->is_null(4)) {
      a.person = PersonId{st->column_int64(4)};
    }
    a.note = std::string(st->column_text(5));
    a.at = from_us(st->column_int64(6));
    out.push_back(std::move(a));
  }
}

// ---------------------------------------------------------------------------------------------
// Writes

Result<PersonId> MpiQueries::create_person(const NewPerson& p) {
  GW_STORE_TRY(check_message_id(p.message_id));
  GW_STORE_TRY(check_verification(p.verification));
  if (p.nhs_number) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kPersonByNhsNumber));
    st->bind(1, p.nhs_number->str());
    GW_STORE_ASSIGN(bool held, st->step());
    if (held) {
      return make_error(Errc::kConflict, "store: that NHS number already belongs to a person");
    }
  }
  const auto now = now_us();
  const auto verification = static_cast<std::int64_t>(p.verification);
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertPerson));
    if (p.nhs_number) {
      st->bind(1, p.nhs_number->str());
    } else {
      st->bind_null(1);
    }
    st->bind(2, verification).bind(3, now);
    GW_STORE_TRY(st->run());
  }
  const PersonId id{db_.last_insert_rowid()};
  if (p.nhs_number) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertNhsHistory));
    st->bind(1, id.value)
        .bind(2, p.nhs_number->str())
        .bind(3, verification)
        .bind(4, p.source.str())
        .bind_text_or_null(5, p.message_id)
        .bind(6, now);
    GW_STORE_TRY(st->run());
  }
  return id;
}

Result<void> MpiQueries::set_nhs_number(PersonId id, const NhsNumber& n, VerificationStatus status,
                                        const OdsCode& source, const std::string& message_id) {
  GW_STORE_TRY(check_message_id(message_id));
  GW_STORE_TRY(check_verification(status));
  GW_STORE_ASSIGN(auto person, resolved_person(id));
  if (person.nhs_number) {
    if (*person.nhs_number != n) {
      return make_error(Errc::kConflict,
                        "store: the person already has a different NHS number (a correction "
                        "is a merge or a review decision)");
    }
    if (person.nhs_verification == status) {
      return {};
    }
  } else {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kPersonByNhsNumber));
    st->bind(1, n.str());
    GW_STORE_ASSIGN(bool held, st->step());
    if (held) {
      return make_error(Errc::kConflict,
                        "store: that NHS number already belongs to another person");
    }
  }
  const auto now = now_us();
  const auto verification = static_cast<std::int64_t>(status);
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kSetPersonNhsNumber));
    st->bind(1, person.id.value).bind(2, n.str()).bind(3, verification).bind(4, now);
    GW_STORE_TRY(st->run());
  }
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertNhsHistory));
  st->bind(1, person.id.value)
      .bind(2, n.str())
      .bind(3, verification)
      .bind(4, source.str())
      .bind_text_or_null(5, message_id)
      .bind(6, now);
  return st->run();
}

Result<void> MpiQueries::insert_link(std::int64_t local_row, PersonId person,
                                     const LinkProvenance& p, std::int64_t now) {
  if (p.review_item) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kReviewItemById));
    st->bind(1, p.review_item->value);
    GW_STORE_ASSIGN(bool found, st->step());
    if (!found) {
      return make_error(Errc::kBadRequest, "link provenance: no such review item");
    }
  }
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertLink));
  st->bind(1, local_row)
      .bind(2, person.value)
      .bind(3, link_method_code(p.method))
      .bind_optional(4, p.score)
      .bind_text_or_null(5, p.reviewer)
      .bind_optional(
          6, p.review_item ? std::optional<std::int64_t>(p.review_item->value) : std::nullopt)
      .bind_text_or_null(7, p.message_id)
      .bind(8, now);
  return st->run();
}

Result<LinkOutcome> MpiQueries::link_local_identifier(const LocalId& id, PersonId person,
                                                      const LinkProvenance& provenance) {
  GW_STORE_TRY(validate_local_id(id));
  GW_STORE_TRY(validate_provenance(provenance));
  GW_STORE_ASSIGN(auto target, resolved_person(person));
  PersonId current;
  GW_STORE_ASSIGN(auto row, local_identifier_row(id, &current));
  if (row) {
    GW_STORE_ASSIGN(auto holder, resolve(current));
    if (holder == target.id) {
      return LinkOutcome::kAlreadyLinked;
    }
    return make_error(Errc::kConflict, "store: the local identifier is linked to another person");
  }
  const auto now = now_us();
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertLocalId));
    st->bind(1, id.source.str())
        .bind(2, local_id_type_code(id.type))
        .bind(3, id.value)
        .bind(4, target.id.value)
        .bind(5, now);
    GW_STORE_TRY(st->run());
  }
  const auto local_row = db_.last_insert_rowid();
  GW_STORE_TRY(insert_link(local_row, target.id, provenance, now));
  GW_STORE_TRY(touch(target.id, now));
  return LinkOutcome::kCreated;
}

Result<void> MpiQueries::relink_local_identifier(const LocalId& id, PersonId person,
                                                 const LinkProvenance& provenance) {
  GW_STORE_TRY(validate_local_id(id));
  GW_STORE_TRY(validate_provenance(provenance));
  GW_STORE_ASSIGN(auto target, resolved_person(person));
  PersonId current;
  GW_STORE_ASSIGN(auto row, local_identifier_row(id, &current));
  if (!row) {
    return make_error(Errc::kNotFound, "store: no such local identifier");
  }
  const auto now = now_us();
  GW_STORE_ASSIGN(auto holder, resolve(current));
  if (holder != target.id) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kMoveLocalId));
    st->bind(1, *row).bind(2, target.id.value).bind(3, now);
    GW_STORE_TRY(st->run());
    GW_STORE_TRY(touch(holder, now));
  }
  GW_STORE_TRY(insert_link(*row, target.id, provenance, now));
  return touch(target.id, now);
}

Result<DemographicsVersionId> MpiQueries::add_demographics(PersonId person,
                                                           const Demographics& data,
                                                           const DemographicsSource& source) {
  GW_STORE_TRY(validate_demographics(data));
  GW_STORE_TRY(check_message_id(source.message_id));
  GW_STORE_ASSIGN(auto target, resolved_person(person));
  const auto now = now_us();
  const auto valid_from = source.valid_from ? to_us(*source.valid_from) : now;

  std::optional<DemographicsVersion> prev;
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kDemographicsAt));
    st->bind(1, target.id.value).bind(2, source.source.str()).bind(3, valid_from);
    GW_STORE_ASSIGN(bool row, st->step());
    if (row) {
      GW_STORE_ASSIGN(prev, read_demographics(*st));
    }
  }
  const bool prev_in_force = prev && (!prev->valid_to || to_us(*prev->valid_to) > valid_from);
  if (prev_in_force && prev->data == data) {
    return prev->id;  // the source repeated itself: nothing new to record
  }
  std::optional<std::int64_t> valid_to;
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kDemographicsNextStart));
    st->bind(1, target.id.value).bind(2, source.source.str()).bind(3, valid_from);
    GW_STORE_ASSIGN(bool row, st->step());
    if (row) {
      valid_to = st->column_int64(0);  // arrived out of order: it held until the next one
    }
  }
  if (prev_in_force) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kCloseDemographics));
    st->bind(1, prev->id.value).bind(2, valid_from);
    GW_STORE_TRY(st->run());
  }
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertDemographics));
    st->bind(1, target.id.value)
        .bind(2, source.source.str())
        .bind(3, data.family)
        .bind(4, strings_json(data.given))
        .bind(5, names_json(data.previous_names));
    if (data.birth_date) {
      st->bind(6, format_date(*data.birth_date));
    } else {
      st->bind_null(6);
    }
    st->bind(7, gender_code(data.gender))
        .bind(8, strings_json(data.address_lines))
        .bind(9, data.postcode)
        .bind(10, telecom_json(data.telecom))
        .bind(11, valid_from)
        .bind_optional(12, valid_to)
        .bind_text_or_null(13, source.message_id)
        .bind(14, now);
    GW_STORE_TRY(st->run());
  }
  const DemographicsVersionId id{db_.last_insert_rowid()};
  GW_STORE_TRY(touch(target.id, now));
  return id;
}

Result<void> MpiQueries::add_blocking_keys(PersonId person, const std::vector<std::string>& keys) {
  if (keys.size() > kMaxBlockingKeys) {
    return make_error(Errc::kBadRequest, "blocking keys: too many keys");
  }
  for (const auto& k : keys) {
    GW_STORE_TRY(validate_short_text(k, kMaxBlockingKeyBytes, "blocking key", true));
  }
  GW_STORE_ASSIGN(auto target, resolved_person(person));
  for (const auto& k : keys) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertBlockingKey));
    st->bind(1, k).bind(2, target.id.value);
    GW_STORE_TRY(st->run());
  }
  return {};
}

Result<MergeId> MpiQueries::merge(const MergeRequest& request) {
  GW_STORE_TRY(check_actor(request.actor, "merge actor"));
  GW_STORE_TRY(validate_note(request.reason, "merge reason", true));
  GW_STORE_TRY(check_message_id(request.message_id));
  if (request.survivor == request.superseded) {
    return make_error(Errc::kBadRequest, "merge: a person cannot be merged into itself");
  }
  GW_STORE_ASSIGN(auto superseded, get_person(request.superseded));
  if (!superseded) {
    return make_error(Errc::kNotFound, "merge: no such superseded person");
  }
  if (superseded->superseded_by) {
    return make_error(Errc::kConflict, "merge: the superseded person is already merged");
  }
  auto survivor = resolved_person(request.survivor);
  if (!survivor) {
    return survivor.error().code == Errc::kNotFound
               ? make_error(Errc::kNotFound, "merge: no such surviving person")
               : survivor.error();
  }
  if (survivor->id == request.superseded) {
    return make_error(Errc::kConflict,
                      "merge: the survivor was merged into the superseded person (a cycle)");
  }
  const auto now = now_us();
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kSetSupersededBy));
    st->bind(1, request.superseded.value).bind(2, survivor->id.value).bind(3, now);
    GW_STORE_TRY(st->run());
  }
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertMerge));
    st->bind(1, survivor->id.value)
        .bind(2, request.superseded.value)
        .bind(3, request.reason)
        .bind(4, request.actor)
        .bind_text_or_null(5, request.message_id)
        .bind(6, now);
    GW_STORE_TRY(st->run());
  }
  const MergeId id{db_.last_insert_rowid()};
  GW_STORE_TRY(touch(survivor->id, now));
  return id;
}

Result<void> MpiQueries::unmerge(PersonId superseded, const UnmergeRequest& request) {
  GW_STORE_TRY(check_actor(request.actor, "unmerge actor"));
  GW_STORE_TRY(validate_note(request.reason, "unmerge reason", true));
  GW_STORE_TRY(check_message_id(request.message_id));
  GW_STORE_ASSIGN(auto person, get_person(superseded));
  if (!person) {
    return make_error(Errc::kNotFound, "unmerge: no such person");
  }
  std::optional<std::int64_t> merge_row;
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kOpenMergeOf));
    st->bind(1, superseded.value);
    GW_STORE_ASSIGN(bool row, st->step());
    if (row) {
      merge_row = st->column_int64(0);
    }
  }
  if (!person->superseded_by || !merge_row) {
    return make_error(Errc::kConflict, "unmerge: the person is not merged");
  }
  const auto now = now_us();
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kSetSupersededBy));
    st->bind(1, superseded.value).bind_null(2).bind(3, now);
    GW_STORE_TRY(st->run());
  }
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kRecordUnmerge));
    st->bind(1, *merge_row)
        .bind(2, now)
        .bind(3, request.actor)
        .bind(4, request.reason)
        .bind_text_or_null(5, request.message_id);
    GW_STORE_TRY(st->run());
  }
  return touch(*person->superseded_by, now);
}

Result<void> MpiQueries::add_action(ReviewItemId id, ReviewActionKind kind,
                                    const std::string& actor, std::optional<PersonId> person,
                                    const std::string& note, std::int64_t now) {
  GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertReviewAction));
  st->bind(1, id.value)
      .bind(2, review_action_code(kind))
      .bind(3, actor)
      .bind_optional(4, person ? std::optional<std::int64_t>(person->value) : std::nullopt)
      .bind_text_or_null(5, note)
      .bind(6, now);
  return st->run();
}

Result<ReviewItemId> MpiQueries::open_review_item(const NewReviewItem& item) {
  GW_STORE_TRY(validate_json_text(item.incoming_json, "review incoming identity"));
  const std::string scores = item.scores_json.empty() ? "{}" : item.scores_json;
  GW_STORE_TRY(validate_json_text(scores, "review scores"));
  GW_STORE_TRY(check_actor(item.opened_by, "review opened by"));
  GW_STORE_TRY(check_message_id(item.message_id));
  if (item.local_id) {
    GW_STORE_TRY(validate_local_id(*item.local_id));
  }
  if (item.candidates.size() > kMaxCandidates) {
    return make_error(Errc::kBadRequest, "review item: too many candidates");
  }
  for (const auto& c : item.candidates) {
    if (c.score && !std::isfinite(*c.score)) {
      return make_error(Errc::kBadRequest, "review item: a candidate score is not finite");
    }
    GW_STORE_ASSIGN(auto p, get_person(c.person));
    if (!p) {
      return make_error(Errc::kBadRequest, "review item: unknown candidate person");
    }
  }
  const auto now = now_us();
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertReviewItem));
    st->bind(1, review_kind_code(item.kind)).bind(2, item.source.str());
    if (item.local_id) {
      st->bind(3, item.local_id->source.str())
          .bind(4, local_id_type_code(item.local_id->type))
          .bind(5, item.local_id->value);
    } else {
      st->bind_null(3).bind_null(4).bind_null(5);
    }
    st->bind_text_or_null(6, item.message_id)
        .bind(7, item.incoming_json)
        .bind(8, scores)
        .bind(9, now)
        .bind(10, item.opened_by);
    GW_STORE_TRY(st->run());
  }
  const ReviewItemId id{db_.last_insert_rowid()};
  std::int64_t rank = 0;
  for (const auto& c : item.candidates) {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kInsertReviewCandidate));
    st->bind(1, id.value).bind(2, rank++).bind(3, c.person.value).bind_optional(4, c.score);
    GW_STORE_TRY(st->run());
  }
  GW_STORE_TRY(add_action(id, ReviewActionKind::kOpened, item.opened_by, std::nullopt, "", now));
  return id;
}

Result<void> MpiQueries::add_review_action(ReviewItemId id, ReviewActionKind kind,
                                           const std::string& actor, const std::string& note) {
  if (kind != ReviewActionKind::kInspected && kind != ReviewActionKind::kCommented) {
    return make_error(Errc::kBadRequest,
                      "review action: only inspected and commented are added directly");
  }
  GW_STORE_TRY(check_actor(actor, "review actor"));
  GW_STORE_TRY(validate_note(note, "review note", kind == ReviewActionKind::kCommented));
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kReviewItemById));
    st->bind(1, id.value);
    GW_STORE_ASSIGN(bool found, st->step());
    if (!found) {
      return make_error(Errc::kNotFound, "review action: no such review item");
    }
  }
  return add_action(id, kind, actor, std::nullopt, note, now_us());
}

Result<void> MpiQueries::resolve_review_item(ReviewItemId id, const ReviewResolution& resolution) {
  if (resolution.status == ReviewStatus::kOpen) {
    return make_error(Errc::kBadRequest, "review resolution: must close the item");
  }
  GW_STORE_TRY(check_actor(resolution.actor, "review actor"));
  GW_STORE_TRY(validate_note(resolution.note, "review note", false));
  const bool needs_person =
      resolution.status == ReviewStatus::kLinked || resolution.status == ReviewStatus::kNewPerson;
  if (needs_person && !resolution.person) {
    return make_error(Errc::kBadRequest, "review resolution: the person is required");
  }
  if (resolution.person) {
    GW_STORE_ASSIGN(auto p, get_person(*resolution.person));
    if (!p) {
      return make_error(Errc::kBadRequest, "review resolution: unknown person");
    }
  }
  GW_STORE_ASSIGN(auto item, get_review_item(id));
  if (!item) {
    return make_error(Errc::kNotFound, "review resolution: no such review item");
  }
  if (item->status != ReviewStatus::kOpen) {
    return make_error(Errc::kConflict, "review resolution: the item is already resolved");
  }
  const auto now = now_us();
  const std::optional<std::int64_t> person =
      resolution.person ? std::optional<std::int64_t>(resolution.person->value) : std::nullopt;
  {
    GW_STORE_ASSIGN(auto st, db_.cached(sql::kResolveReviewItem));
    st->bind(1, id.value)
        .bind(2, review_status_code(resolution.status))
        .bind(3, resolution.actor)
        .bind(4, now)
        .bind_optional(5, person)
        .bind_text_or_null(6, resolution.note);
    GW_STORE_TRY(st->run());
  }
  if (db_.changes() != 1) {
    return make_error(Errc::kConflict, "review resolution: the item is already resolved");
  }
  return add_action(id, action_for(resolution.status), resolution.actor, resolution.person,
                    resolution.note, now);
}

}  // namespace gw::store::sqlite::detail
