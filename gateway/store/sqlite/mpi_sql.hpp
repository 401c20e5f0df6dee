// The SQL text of every MPI statement, in one place so tests can EXPLAIN QUERY PLAN the hot ones
// (and the README shows their plans). Internal to gateway/store/sqlite and its tests.
#pragma once

#include <string_view>

namespace gw::store::sqlite::mpi_sql {

// --- persons ----------------------------------------------------------------------------------

/** Hot: lookup by NHS number (unique partial index person_nhs_number). */
inline constexpr std::string_view kPersonByNhsNumber =
    "SELECT id, nhs_number, nhs_verification, created_at, updated_at, superseded_by "
    "FROM person WHERE nhs_number = ?1";
inline constexpr std::string_view kPersonById =
    "SELECT id, nhs_number, nhs_verification, created_at, updated_at, superseded_by "
    "FROM person WHERE id = ?1";
inline constexpr std::string_view kInsertPerson =
    "INSERT INTO person (nhs_number, nhs_verification, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?3)";
inline constexpr std::string_view kSetPersonNhsNumber =
    "UPDATE person SET nhs_number = ?2, nhs_verification = ?3, updated_at = ?4 WHERE id = ?1";
inline constexpr std::string_view kTouchPerson =
    "UPDATE person SET updated_at = ?2 WHERE id = ?1 AND updated_at < ?2";
inline constexpr std::string_view kSetSupersededBy =
    "UPDATE person SET superseded_by = ?2, updated_at = ?3 WHERE id = ?1";
/** Every person merged (directly or through others) into ?1, and ?1 itself. */
inline constexpr std::string_view kMergedSet =
    "WITH RECURSIVE m(id) AS (SELECT ?1 UNION SELECT p.id FROM person p JOIN m ON "
    "p.superseded_by = m.id) SELECT id FROM m ORDER BY id";

inline constexpr std::string_view kInsertNhsHistory =
    "INSERT INTO person_nhs_history (person_id, nhs_number, nhs_verification, source_ods, "
    "message_id, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
inline constexpr std::string_view kNhsHistoryByPerson =
    "SELECT person_id, nhs_number, nhs_verification, source_ods, message_id, recorded_at "
    "FROM person_nhs_history WHERE person_id = ?1 ORDER BY id";

// --- local identifiers and links --------------------------------------------------------------
/** Hot: lookup by local identifier (unique index local_identifier_key). */
inline constexpr std::string_view kLocalIdByKey =
    "SELECT id, person_id, created_at, updated_at FROM local_identifier "
    "WHERE source_ods = ?1 AND id_type = ?2 AND value = ?3";
inline constexpr std::string_view kLocalIdsByPerson =
    "SELECT source_ods, id_type, value, person_id, created_at, updated_at "
    "FROM local_identifier WHERE person_id = ?1 ORDER BY id";
inline constexpr std::string_view kInsertLocalId =
    "INSERT INTO local_identifier (source_ods, id_type, value, person_id, created_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?5)";
inline constexpr std::string_view kMoveLocalId =
    "UPDATE local_identifier SET person_id = ?2, updated_at = ?3 WHERE id = ?1";
inline constexpr std::string_view kInsertLink =
    "INSERT INTO link (local_identifier_id, person_id, method, score, reviewer, review_item_id, "
    "message_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
inline constexpr std::string_view kLinksByPerson =
    "SELECT l.id, li.source_ods, li.id_type, li.value, l.person_id, l.method, l.score, "
    "l.reviewer, l.review_item_id, l.message_id, l.created_at "
    "FROM link l JOIN local_identifier li ON li.id = l.local_identifier_id "
    "WHERE l.person_id = ?1 ORDER BY l.id";

// --- demographics -----------------------------------------------------------------------------
inline constexpr std::string_view kInsertDemographics =
    "INSERT INTO demographics (person_id, source_ods, family, given, previous_names, birth_date, "
    "gender, address_lines, postcode, telecom, valid_from, valid_to, message_id, recorded_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
/** The source's version in force at ?3 (the latest starting at or before it). */
inline constexpr std::string_view kDemographicsAt =
    "SELECT id, person_id, source_ods, family, given, previous_names, birth_date, gender, "
    "address_lines, postcode, telecom, valid_from, valid_to, message_id, recorded_at "
    "FROM demographics WHERE person_id = ?1 AND source_ods = ?2 AND valid_from <= ?3 "
    "ORDER BY valid_from DESC, id DESC LIMIT 1";
/** When the source's next version after ?3 starts, if any. */
inline constexpr std::string_view kDemographicsNextStart =
    "SELECT valid_from FROM demographics WHERE person_id = ?1 AND source_ods = ?2 AND "
    "valid_from > ?3 ORDER BY valid_from, id LIMIT 1";
inline constexpr std::string_view kCloseDemographics =
    "UPDATE demographics SET valid_to = ?2 WHERE id = ?1";
inline constexpr std::string_view kDemographicsByPerson =
    "SELECT id, person_id, source_ods, family, given, previous_names, birth_date, gender, "
    "address_lines, postcode, telecom, valid_from, valid_to, message_id, recorded_at "
    "FROM demographics WHERE person_id = ?1 ORDER BY source_ods, valid_from, id";
inline constexpr std::string_view kCurrentDemographicsByPerson =
    "SELECT id, person_id, source_ods, family, given, previous_names, birth_date, gender, "
    "address_lines, postcode, telecom, valid_from, valid_to, message_id, recorded_at "
    "FROM demographics WHERE person_id = ?1 AND valid_to IS NULL";

// --- blocking keys ----------------------------------------------------------------------------
inline constexpr std::string_view kInsertBlockingKey =
    "INSERT OR IGNORE INTO blocking_key (key, person_id) VALUES (?1, ?2)";
/** Hot: the persons under one key (primary key of blocking_key), with where they were merged. */
inline constexpr std::string_view kBlockByKey =
    "SELECT b.person_id, p.superseded_by FROM blocking_key b JOIN person p ON p.id = b.person_id "
    "WHERE b.key = ?1 LIMIT ?2";

// --- merges -----------------------------------------------------------------------------------
inline constexpr std::string_view kInsertMerge =
    "INSERT INTO person_merge (survivor_id, superseded_id, reason, merged_by, message_id, "
    "merged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
inline constexpr std::string_view kOpenMergeOf =
    "SELECT id FROM person_merge WHERE superseded_id = ?1 AND unmerged_at IS NULL";
inline constexpr std::string_view kRecordUnmerge =
    "UPDATE person_merge SET unmerged_at = ?2, unmerged_by = ?3, unmerge_reason = ?4, "
    "unmerge_message_id = ?5 WHERE id = ?1";
inline constexpr std::string_view kMergesBySuperseded =
    "SELECT id, survivor_id, superseded_id, reason, merged_by, message_id, merged_at, "
    "unmerged_at, unmerged_by, unmerge_reason, unmerge_message_id "
    "FROM person_merge WHERE superseded_id = ?1";
inline constexpr std::string_view kMergesBySurvivor =
    "SELECT id, survivor_id, superseded_id, reason, merged_by, message_id, merged_at, "
    "unmerged_at, unmerged_by, unmerge_reason, unmerge_message_id "
    "FROM person_merge WHERE survivor_id = ?1";

// --- review worklist --------------------------------------------------------------------------
inline constexpr std::string_view kInsertReviewItem =
    "INSERT INTO review_item (kind, status, source_ods, local_source_ods, local_id_type, "
    "local_value, message_id, incoming, scores, created_at, opened_by) "
    "VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
inline constexpr std::string_view kInsertReviewCandidate =
    "INSERT INTO review_candidate (review_item_id, rank, person_id, score) VALUES (?1, ?2, ?3, ?4)";
inline constexpr std::string_view kReviewItemById =
    "SELECT id, kind, status, source_ods, local_source_ods, local_id_type, local_value, "
    "message_id, incoming, scores, created_at, resolved_by, resolved_at, resolved_person_id, note "
    "FROM review_item WHERE id = ?1";
/** The worklist by status (index review_item_status), oldest first, paged by id. */
inline constexpr std::string_view kReviewItemsByStatus =
    "SELECT id, kind, status, source_ods, local_source_ods, local_id_type, local_value, "
    "message_id, incoming, scores, created_at, resolved_by, resolved_at, resolved_person_id, note "
    "FROM review_item WHERE status = ?1 AND id > ?2 AND (?3 IS NULL OR kind = ?3) "
    "ORDER BY id LIMIT ?4";
inline constexpr std::string_view kReviewItemsAll =
    "SELECT id, kind, status, source_ods, local_source_ods, local_id_type, local_value, "
    "message_id, incoming, scores, created_at, resolved_by, resolved_at, resolved_person_id, note "
    "FROM review_item WHERE id > ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY id LIMIT ?3";
inline constexpr std::string_view kReviewCandidates =
    "SELECT person_id, score FROM review_candidate WHERE review_item_id = ?1 ORDER BY rank";
inline constexpr std::string_view kOpenReviewItemsForLocalId =
    "SELECT id FROM review_item WHERE status = 'open' AND local_source_ods = ?1 AND "
    "local_id_type = ?2 AND local_value = ?3 ORDER BY id";
inline constexpr std::string_view kResolveReviewItem =
    "UPDATE review_item SET status = ?2, resolved_by = ?3, resolved_at = ?4, "
    "resolved_person_id = ?5, note = ?6 WHERE id = ?1 AND status = 'open'";
inline constexpr std::string_view kInsertReviewAction =
    "INSERT INTO review_action (review_item_id, action, actor, person_id, note, at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
inline constexpr std::string_view kReviewActions =
    "SELECT id, review_item_id, action, actor, person_id, note, at FROM review_action "
    "WHERE review_item_id = ?1 ORDER BY id";

}  // namespace gw::store::sqlite::mpi_sql
