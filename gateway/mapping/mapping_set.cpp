// Run-time lookups over a loaded mapping set: value maps (with per-sender overrides), code
// tables, identifier rules. A code with no mapping comes back as it came, never dropped.
#include "gateway/mapping/mapping_set.hpp"

#include <string>
#include <string_view>
#include <tuple>

#include "gateway/mapping/systems.hpp"

namespace gw::mapping {
namespace {

constexpr std::array<Adapter, kAdapterCount> kAdapters{
    Adapter::kAcute, Adapter::kEmis, Adapter::kLas, Adapter::kMentalHealth, Adapter::kAmbulance};

const ValueMap* find_map(const Rules& rules, std::string_view map) {
  auto it = rules.value_maps.find(map);
  return it == rules.value_maps.end() ? nullptr : &it->second;
}

}  // namespace

std::string_view adapter_name(Adapter a) {
  switch (a) {
    case Adapter::kAcute:
      return "acute";
    case Adapter::kEmis:
      return "emis";
    case Adapter::kLas:
      return "las";
    case Adapter::kMentalHealth:
      return "mental_health";
    case Adapter::kAmbulance:
      return "ambulance";
  }
  return "acute";
}

std::optional<Adapter> parse_adapter(std::string_view name) {
  for (auto a : kAdapters) {
    if (adapter_name(a) == name) {
      return a;
    }
  }
  return std::nullopt;
}

std::span<const Adapter> all_adapters() { return kAdapters; }

std::string identifier_system(const IdentifierRule& rule, std::string_view message_ods,
                              std::string_view sender_ods) {
  constexpr std::string_view kOds = "{ods}";
  std::string_view ods = message_ods;
  if (ods.empty()) {
    ods = rule.default_ods.empty() ? sender_ods : std::string_view(rule.default_ods);
  }
  std::string out = rule.system;
  for (auto at = out.find(kOds); at != std::string::npos; at = out.find(kOds, at + ods.size())) {
    out.replace(at, kOds.size(), ods);
  }
  return out;
}

const ValueMap* MappingSet::value_map(Adapter adapter, std::string_view sender,
                                      std::string_view map) const {
  const auto& am = this->adapter(adapter);
  if (auto o = am.overrides.find(sender); o != am.overrides.end()) {
    if (const auto* vm = find_map(o->second, map)) {
      return vm;
    }
  }
  return find_map(am.base, map);
}

Mapped MappingSet::map_value(Adapter adapter, std::string_view sender, std::string_view map,
                             std::string_view native_code, std::string_view native_display,
                             std::string_view native_system) const {
  const auto& am = this->adapter(adapter);
  const ValueMap* base = find_map(am.base, map);
  const ValueMap* over = nullptr;
  if (auto o = am.overrides.find(sender); o != am.overrides.end()) {
    over = find_map(o->second, map);
  }
  for (const ValueMap* vm : {over, base}) {
    if (vm == nullptr) {
      continue;
    }
    if (auto it = vm->codes.find(native_code); it != vm->codes.end()) {
      return Mapped{it->second, true};
    }
    // An override that reads another source system replaces the adapter's map outright.
    if (vm == over && base != nullptr && over->from != base->from) {
      break;
    }
  }
  const ValueMap* first = over != nullptr ? over : base;
  std::string system = first != nullptr ? first->from : system_uri(native_system);
  return Mapped{Coding{std::move(system), std::string(native_code), std::string(native_display)},
                false};
}

Mapped MappingSet::map_code(const Coding& native, std::string_view target_system) const {
  // Known systems' URIs are views of constants: the key is made of views, no string.
  std::string from_scratch;
  std::string to_scratch;
  const auto it = codes_.find(std::tuple<std::string_view, std::string_view, std::string_view>{
      system_uri(native.system, from_scratch), native.code, system_uri(target_system, to_scratch)});
  if (it != codes_.end()) {
    return Mapped{it->second, true};
  }
  return Mapped{native, false};
}

std::vector<IdentifierRule> MappingSet::identifier_rules(Adapter adapter,
                                                         std::string_view sender) const {
  const auto& am = this->adapter(adapter);
  std::vector<IdentifierRule> out = am.base.identifiers;
  auto o = am.overrides.find(sender);
  if (o == am.overrides.end()) {
    return out;
  }
  for (const auto& r : o->second.identifiers) {
    bool replaced = false;
    for (auto& existing : out) {
      if (existing.id == r.id) {
        existing = r;
        replaced = true;
      }
    }
    if (!replaced) {
      out.push_back(r);
    }
  }
  return out;
}

std::size_t MappingSet::value_map_count() const {
  std::size_t n = 0;
  for (const auto& am : adapters_) {
    n += am.base.value_maps.size();
    for (const auto& [ods, rules] : am.overrides) {
      n += rules.value_maps.size();
    }
  }
  return n;
}

}  // namespace gw::mapping
