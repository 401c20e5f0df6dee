// The MPI's statements use indexes: EXPLAIN QUERY PLAN for every statement of mpi_sql.hpp must
// show no full scan of a table (the CTE's own working set excepted). Prints the hot plans.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/database.hpp"
#include "gateway/store/sqlite/mpi_sql.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::store::sqlite {
namespace {

using test::ok;
namespace sql = mpi_sql;

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l + "; ";
  }
  return out;
}

class SqliteMpiQueryPlan : public ::testing::Test {
protected:
  void SetUp() override {
    db_.emplace(ok(open_store_database(dir_.file("data"))));
    // Plans are for the tables as they will be: ANALYZE-like statistics are not needed, since
    // every hot lookup is an equality on a unique or leading index column.
  }
  std::vector<std::string> plan(std::string_view statement) {
    return ok(explain_query_plan(*db_, statement));
  }
  gw::test::TempDir dir_;
  std::optional<Database> db_;
};

TEST_F(SqliteMpiQueryPlan, HotLookupsUseTheirIndexes) {
  const std::vector<std::pair<std::string_view, std::string_view>> hot{
      {sql::kPersonByNhsNumber, "SEARCH person USING INDEX person_nhs_number (nhs_number=?)"},
      {sql::kLocalIdByKey,
       "SEARCH local_identifier USING INDEX local_identifier_key (source_ods=? AND id_type=? AND "
       "value=?)"},
      {sql::kBlockByKey, "SEARCH b USING PRIMARY KEY (key=?)"},
      {sql::kPersonById, "SEARCH person USING INTEGER PRIMARY KEY (rowid=?)"},
  };
  for (const auto& [statement, expected] : hot) {
    const auto lines = plan(statement);
    std::cout << "[ plan ] " << statement << "\n           " << joined(lines) << "\n";
    EXPECT_NE(joined(lines).find(expected), std::string::npos)
        << statement << "\n  plan: " << joined(lines);
  }
}

TEST_F(SqliteMpiQueryPlan, NoStatementScansATable) {
  const std::vector<std::string_view> all{
      sql::kPersonByNhsNumber,
      sql::kPersonById,
      sql::kSetPersonNhsNumber,
      sql::kTouchPerson,
      sql::kSetSupersededBy,
      sql::kMergedSet,
      sql::kNhsHistoryByPerson,
      sql::kLocalIdByKey,
      sql::kLocalIdsByPerson,
      sql::kMoveLocalId,
      sql::kLinksByPerson,
      sql::kDemographicsAt,
      sql::kDemographicsNextStart,
      sql::kCloseDemographics,
      sql::kDemographicsByPerson,
      sql::kCurrentDemographicsByPerson,
      sql::kBlockByKey,
      sql::kOpenMergeOf,
      sql::kRecordUnmerge,
      sql::kMergesBySuperseded,
      sql::kMergesBySurvivor,
      sql::kReviewItemById,
      sql::kReviewItemsByStatus,
      sql::kReviewItemsAll,
      sql::kReviewCandidates,
      sql::kOpenReviewItemsForLocalId,
      sql::kResolveReviewItem,
      sql::kReviewActions,
  };
  for (auto statement : all) {
    for (const auto& line : plan(statement)) {
      // "SCAN m" and "SCAN CONSTANT ROW" are the merged-set CTE's own rows; every table access
      // must be a SEARCH.
      const bool table_scan =
          line.rfind("SCAN ", 0) == 0 && line != "SCAN m" && line != "SCAN CONSTANT ROW";
      EXPECT_FALSE(table_scan) << statement << "\n  plan line: " << line;
    }
  }
}

}  // namespace
}  // namespace gw::store::sqlite
