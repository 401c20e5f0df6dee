// Pieces the EMIS adapter's three codecs share: stable ids, meta.source stamping, Read v2 to
// SNOMED CT mapping over any FHIR JSON value, located errors and name-based UUIDs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/fhir/json_lookup.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/mapping/mapping_set.hpp"
#include "gateway/mapping/unmapped.hpp"

namespace gw::adapters::emis::detail {

inline constexpr std::string_view kReadV2System = "http://read.info/readv2";
inline constexpr std::string_view kSnomedSystem = "http://snomed.info/sct";
inline constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

/** fnv1a64: a 64-bit FNV-1a hash (ids and UUIDs derived from names, not security). */
[[nodiscard]] std::uint64_t fnv1a64(std::string_view s,
                                    std::uint64_t seed = 14695981039346656037ULL);

/** derived_id: a FHIR id ([A-Za-z0-9.-]{1,64}) stable for `seed`: `prefix` + 16 hex digits. */
[[nodiscard]] std::string derived_id(std::string_view prefix, std::string_view seed);

/** name_uuid: a UUID-shaped string derived from `seed` (same seed, same UUID). */
[[nodiscard]] std::string name_uuid(std::string_view seed);

/** valid_fhir_id: [A-Za-z0-9.-]{1,64}. */
[[nodiscard]] bool valid_fhir_id(std::string_view id);

/** located: an error whose detail is "where: what" (gateway/ingest/adapter.hpp convention). */
[[nodiscard]] Error located(Errc code, std::string_view where, std::string_view what);

/** str_of: the string member `name` of `obj`; "" when it is absent or not a string, or `obj`
 *  is not an object. */
[[nodiscard]] inline std::string_view str_of(const rapidjson::Value& obj, std::string_view name) {
  const rapidjson::Value* v = fhir::json_member(obj, name);
  return v != nullptr ? fhir::json_text(*v) : std::string_view{};
}

/** member_of: fhir::json_member for a value the caller may change. */
[[nodiscard]] inline rapidjson::Value* member_of(rapidjson::Value& obj, std::string_view name) {
  // `obj` is writable, so is each of its members.
  return const_cast<rapidjson::Value*>(fhir::json_member(obj, name));
}

/**
 * set_meta_source: resource.meta.source = `source` (replacing any value), `source` being
 * kMetaSourcePrefix + the practice's ODS code, made once per message by the caller. The value
 * refers to `source`'s bytes, not a copy: they must outlive the resource's document.
 */
void set_meta_source(rapidjson::Value& resource, std::string_view source,
                     rapidjson::Document::AllocatorType& a);

/**
 * ReadV2Lookups: the Read v2 -> SNOMED CT lookups of one message. A mapped code is kept, so a
 * code that recurs in the message is looked up once (a hit has no side effect); a code with no
 * mapping is asked again each time, so the mapper counts every unmapped occurrence as before.
 * One per message; not thread-safe.
 */
class ReadV2Lookups {
public:
  explicit ReadV2Lookups(const mapping::Mapper& mapper) : mapper_(mapper) {}
  /** snomed: what mapper.code(kEmis, {Read v2, code, display}, SNOMED CT) gives; the reference
   *  holds until the next call. */
  const mapping::Mapped& snomed(std::string_view code, std::string_view display);

private:
  const mapping::Mapper& mapper_;
  std::unordered_map<std::string, mapping::Mapped> hits_;
  mapping::Mapped miss_;
  std::string key_;
};

/**
 * map_read_codes: for every CodeableConcept under `v` that carries a Read v2 coding but no
 * SNOMED CT one, looks up the SNOMED CT concept; when there is one it is put first and the Read
 * v2 coding kept after it. Unmapped codes stay as sent (the mapper counts them).
 * @return how many concepts had no mapping (for warnings).
 */
int map_read_codes(rapidjson::Value& v, ReadV2Lookups& lookups,
                   rapidjson::Document::AllocatorType& a, int depth = 0);

/**
 * identity_from_patient: the MPI's view of an R4 Patient: NHS number and verification status
 * (an invalid number is left out, with a warning), names, birth date, gender, home postcode,
 * address lines and telecom; `local_guid` (when not empty) as the emis-guid local identifier.
 */
[[nodiscard]] identity::IncomingIdentity identity_from_patient(
    const rapidjson::Value& patient, const OdsCode& source, std::string_view local_guid,
    std::string_view message_id, std::string_view where, std::vector<std::string>& warnings);

/** guid_shaped: 8-4-4-4-12 hexadecimal digits (an EMIS Web GUID). */
[[nodiscard]] bool guid_shaped(std::string_view s);

}  // namespace gw::adapters::emis::detail
