// A synthetic population for measuring demographic matching: households of invented people with
// 999 test-range NHS numbers, and labelled messages about them carrying the errors real feeds
// carry. Deterministic from a seed on every platform. Test and benchmark support only: no
// production code path uses it (it lives here so unit_tests, the bench and the example share it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/identity/matching.hpp"
#include "gateway/identity/nhs_number.hpp"

namespace gw::identity::synthetic {

/**
 * Rng: SplitMix64. Small, fast and the same on every compiler and platform, unlike the
 * std:: distributions, so a seed always gives the same population.
 */
class Rng {
public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  /** next: 64 random bits. */
  std::uint64_t next();
  /** below: uniform in [0, n); n > 0. */
  std::uint64_t below(std::uint64_t n);
  /** between: uniform in [lo, hi]. */
  int between(int lo, int hi);
  /** uniform: in [0, 1). */
  double uniform();
  /** chance: true with probability p. */
  bool chance(double p);

private:
  std::uint64_t state_;
};

/**
 * TestNhsNumbers: the NHS numbers of the test range 999 000 000 0 .. 999 999 999 9 in order,
 * skipping the nine-digit stems whose Modulus 11 check digit would be 10. The range holds
 * 909,090 valid numbers (9999999999, ten identical digits, is refused); next() returns nullopt
 * after the last.
 */
class TestNhsNumbers {
public:
  [[nodiscard]] std::optional<NhsNumber> next();

private:
  std::uint32_t stem_ = 999000000;
};

/** Person: one invented person of the population, as the MPI holds them. */
struct Person {
  std::uint32_t id = 0;         ///< index in the population
  std::uint32_t household = 0;  ///< people of one household share a postcode
  Demographics demographics;
};

/** MessageKind: what was done to a person's details to make a message (the label). */
enum class MessageKind : std::uint8_t {
  kClean,
  kFamilyTypo,
  kGivenTypo,
  kTransposedBirthDate,
  kBirthDateDigit,
  kNickname,
  kInitial,
  kMarriedPreviousKnown,
  kMarriedPreviousUnknown,
  kHyphenVariant,
  kFormatting,
  kMissingPostcode,
  kMovedPostcode,
  kMissingNhsNumber,
  kWrongNhsNumber,
  kAmbulanceApproximateAge,
  kNewPerson,
  kTwinNotRegistered,
  kAmbulanceUnknownPerson,
};
inline constexpr std::size_t kMessageKindCount = 19;

/** message_kind_name: a stable lower-case name, e.g. "transposed-birth-date". */
[[nodiscard]] std::string_view message_kind_name(MessageKind k);

/** LabelledMessage: the demographics a source system sends, and who it truly is. */
struct LabelledMessage {
  std::uint32_t id = 0;
  Demographics demographics;
  std::optional<std::uint32_t> truth;  ///< the Person::id it is about, or none (a new person)
  MessageKind kind = MessageKind::kClean;
  std::optional<MessageKind> second;  ///< a second error, when one was added
  std::string_view source;            ///< "gp", "acute", "ambulance", ...
};

/**
 * generate_people: `count` people in households (couples, some with previous surnames, children,
 * twins), names from built-in lists of common UK given and family names (including hyphenated,
 * double-barrelled and accented ones), dates of birth 1930-2024, invented well-formed postcodes.
 * NHS numbers come from TestNhsNumbers in order; people beyond the 909,090th have none.
 */
[[nodiscard]] std::vector<Person> generate_people(std::size_t count, std::uint64_t seed);

/**
 * generate_messages: `count` labelled messages: about 87% are people of the population with
 * one (sometimes two) typical errors, the rest are new people (unrelated, an unregistered twin
 * of someone registered, or a person known only to the ambulance service). Most messages carry
 * no NHS number (the matcher's use); see MATCHING.md for the mix.
 * @param people a population from generate_people (not empty).
 */
[[nodiscard]] std::vector<LabelledMessage> generate_messages(std::span<const Person> people,
                                                             std::size_t count, std::uint64_t seed);

}  // namespace gw::identity::synthetic
