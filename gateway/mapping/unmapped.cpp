// The unmapped-code table and the per-message Mapper that feeds it.
#include "gateway/mapping/unmapped.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/mapping/systems.hpp"

namespace gw::mapping {

UnmappedTracker::UnmappedTracker(metrics::Registry* metrics, UnmappedLimits limits)
    : limits_(limits) {
  if (metrics != nullptr) {
    family_ = &metrics->counter("caregw_mapping_unmapped_total",
                                "Codes that had no mapping and were passed on as they came",
                                {"adapter", "system", "code"});
  }
}

void UnmappedTracker::record(Adapter adapter, const Coding& native) {
  const std::string a(adapter_name(adapter));
  std::lock_guard lock(mu_);
  ++total_;
  auto it = counts_.find(Key{a, native.system, native.code});
  if (it == counts_.end()) {
    // A new code: tracked with its display while there is room, else in the adapter's overflow.
    const bool room = counts_.size() < limits_.tracked_codes;
    Key key = room ? Key{a, native.system, native.code}
                   : Key{a, std::string(kOther), std::string(kOther)};
    it = counts_.try_emplace(std::move(key), Counts{room ? native.display : std::string(), 0, 0})
             .first;
  }
  ++it->second.total;
  ++it->second.pending;
  if (family_ != nullptr) {
    series_for(it->first).inc();
  }
}

metrics::Counter& UnmappedTracker::series_for(const Key& key) {
  auto s = series_.find(key);
  if (s == series_.end()) {
    // The first labelled_series codes get a series each; the rest share the adapter's "other".
    const bool own = labelled_ < limits_.labelled_series;
    labelled_ += own ? 1 : 0;
    const auto& [ka, ks, kc] = key;
    auto& counter = own ? family_->with({ka, ks, kc}) : family_->with({ka, kOther, kOther});
    s = series_.emplace(key, &counter).first;
  }
  return *s->second;
}

std::vector<UnmappedEntry> UnmappedTracker::top(std::size_t n) const {
  std::vector<UnmappedEntry> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(counts_.size());
    for (const auto& [k, c] : counts_) {
      out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), c.display, c.total});
    }
  }
  // counts_ is ordered by key, so a stable sort leaves ties in (adapter, system, code) order.
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& x, const auto& y) { return x.count > y.count; });
  if (out.size() > n) {
    out.resize(n);
  }
  return out;
}

std::vector<UnmappedEntry> UnmappedTracker::take_pending() {
  std::vector<UnmappedEntry> out;
  std::lock_guard lock(mu_);
  for (auto& [k, c] : counts_) {
    if (c.pending > 0) {
      out.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), c.display, c.pending});
      c.pending = 0;
    }
  }
  return out;
}

void UnmappedTracker::give_back(const std::vector<UnmappedEntry>& pending) {
  std::lock_guard lock(mu_);
  for (const auto& e : pending) {
    auto& c = counts_[Key{e.adapter, e.system, e.code}];
    if (c.display.empty()) {
      c.display = e.display;
    }
    c.pending += e.count;
  }
}

std::uint64_t UnmappedTracker::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

std::string unmapped_json(const std::vector<UnmappedEntry>& entries) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const auto str = [&w](std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("unmapped");
  w.StartArray();
  for (const auto& e : entries) {
    w.StartObject();
    w.Key("adapter");
    str(e.adapter);
    w.Key("system");
    str(e.system);
    w.Key("code");
    str(e.code);
    w.Key("display");
    str(e.display);
    w.Key("count");
    w.Uint64(e.count);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

Mapped Mapper::value(Adapter adapter, std::string_view sender, std::string_view map,
                     std::string_view code, std::string_view display,
                     std::string_view native_system) const {
  // No set loaded (the first load failed): nothing maps, everything is kept and counted.
  auto m = set_ ? set_->map_value(adapter, sender, map, code, display, native_system)
                : Mapped{Coding{system_uri(native_system), std::string(code), std::string(display)},
                         false};
  if (!m.mapped && tracker_ != nullptr) {
    tracker_->record(adapter, m.coding);
  }
  return m;
}

Mapped Mapper::code(Adapter adapter, const Coding& native, std::string_view target_system) const {
  auto m = set_ ? set_->map_code(native, target_system) : Mapped{native, false};
  if (!m.mapped && tracker_ != nullptr) {
    tracker_->record(adapter, m.coding);
  }
  return m;
}

}  // namespace gw::mapping
