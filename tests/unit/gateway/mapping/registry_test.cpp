// Hot reload: a new set is loaded off to the side and swapped whole; readers holding a snapshot
// keep it; a bad set is refused with its errors and the one in use stays.
#include "gateway/mapping/registry.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/gateway/mapping/mapping_fixture.hpp"

namespace gw::mapping {
namespace {

/** with_tag: `text` with every "@" replaced by `tag`. */
std::string with_tag(std::string text, const std::string& tag) {
  for (auto at = text.find('@'); at != std::string::npos; at = text.find('@', at)) {
    text.replace(at, 1, tag);
  }
  return text;
}

/** write_generation: two files whose every target display is `tag`: a set is whole or torn. */
void write_generation(const test::MappingDir& dir, const std::string& tag) {
  dir.write("acute/a.yaml", with_tag("value_maps:\n"
                                     "  sex:\n"
                                     "    target: Patient.gender\n"
                                     "    from: hl7v2-0001\n"
                                     "    to: fhir-administrative-gender\n"
                                     "    codes:\n"
                                     "      M: { code: male, display: @ }\n"
                                     "      F: { code: female, display: @ }\n"
                                     "      U: { code: unknown, display: @ }\n",
                                     tag));
  dir.write("emis/e.yaml", with_tag("value_maps:\n"
                                    "  encounter_class:\n"
                                    "    target: Encounter.class\n"
                                    "    from: local:emis-consultation-type\n"
                                    "    to: v3-act-code\n"
                                    "    codes:\n"
                                    "      SURGERY: { code: AMB, display: @ }\n",
                                    tag));
}

TEST(MappingRegistry, ReloadSwapsInAGoodSetAndRefusesABadOne) {
  test::MappingDir dir;
  metrics::Registry metrics;
  MappingRegistry registry(dir.path(), {}, nullptr, &metrics);
  EXPECT_EQ(registry.current(), nullptr);
  // Before any set is loaded a Mapper maps nothing and keeps the code as it came.
  const auto none =
      registry.mapper().value(Adapter::kAcute, "Z9A01", "sex", "M", "Male", "hl7v2-0001");
  EXPECT_FALSE(none.mapped);
  EXPECT_EQ(none.coding, (Coding{"http://terminology.hl7.org/CodeSystem/v2-0001", "M", "Male"}));
  ASSERT_TRUE(registry.reload().swapped);
  const auto first = registry.current();
  EXPECT_EQ(registry.generation(), 1U);

  // A bad edit: rejected with its file:line, and the first set stays in use.
  const auto f = dir.write("acute/a.yaml", test::replace_line(test::kAcute, 5, "    target: X"));
  const auto bad = registry.reload();
  EXPECT_FALSE(bad.swapped);
  ASSERT_EQ(bad.errors.size(), 1U);
  EXPECT_EQ(bad.errors[0].str().rfind(f + ":5: unknown target element 'X'", 0), 0U)
      << bad.errors[0].str();
  EXPECT_EQ(registry.current(), first);
  EXPECT_EQ(registry.generation(), 1U);

  // Fixed: the next reload swaps, and a holder of the old snapshot still has it whole.
  dir.write("acute/a.yaml", test::kAcute);
  ASSERT_TRUE(registry.reload().swapped);
  EXPECT_NE(registry.current(), first);
  EXPECT_TRUE(first->map_value(Adapter::kAcute, "", "sex", "M", "").mapped);
  EXPECT_EQ(registry.generation(), 2U);
  const auto text = metrics.render();
  EXPECT_NE(text.find("caregw_mapping_reloads_total{result=\"ok\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("caregw_mapping_reloads_total{result=\"rejected\"} 1"), std::string::npos)
      << text;
}

TEST(MappingRegistry, ConcurrentLookupsDuringReloadsSeeOneWholeSetEach) {
  test::MappingDir dir;
  write_generation(dir, "g0");
  UnmappedTracker tracker;
  MappingRegistry registry(dir.path(), {}, &tracker);
  ASSERT_TRUE(registry.reload().swapped);

  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> lookups{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        // One message: one snapshot; every lookup in it must come from the same generation.
        const Mapper m = registry.mapper();
        const auto sex = m.value(Adapter::kAcute, "Z9A01", "sex", "F");
        const auto cls = m.value(Adapter::kEmis, "Z90001", "encounter_class", "SURGERY");
        const auto unk = m.value(Adapter::kAcute, "Z9A01", "sex", "U");
        if (!sex.mapped || !cls.mapped || sex.coding.display != cls.coding.display ||
            unk.coding.display != sex.coding.display) {
          ++torn;
        }
        ++lookups;
      }
    });
  }
  int swapped = 0;
  for (int gen = 1; gen <= 40; ++gen) {
    if (gen % 5 == 0) {
      // Every fifth edit is broken: refused, and readers go on with the set in use.
      dir.write("emis/e.yaml", "value_maps:\n  encounter_class: { target: Nowhere }\n");
      EXPECT_FALSE(registry.reload().swapped);
    }
    std::string tag = "g";  // appended: GCC 12 gives a false -Wrestrict for "g" + string
    tag += std::to_string(gen);
    write_generation(dir, tag);
    swapped += registry.reload().swapped ? 1 : 0;
  }
  // Let readers run against the last set too before stopping.
  while (lookups.load() < 1000) {
    std::this_thread::yield();
  }
  stop = true;
  for (auto& r : readers) {
    r.join();
  }
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(swapped, 40);
  EXPECT_EQ(registry.generation(), 41U);
  EXPECT_EQ(tracker.total(), 0U);  // every lookup found its code in whichever set it held
  EXPECT_EQ(registry.mapper().value(Adapter::kAcute, "", "sex", "M").coding.display, "g40");
}

}  // namespace
}  // namespace gw::mapping
