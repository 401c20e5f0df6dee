// The shared record's answer cache: keys, the Bundle splice and the bounded LRU.
#include "gateway/record/answer_cache.hpp"

#include <cstdio>

#include <rapidjson/document.h>

#include "gateway/fhir/json.hpp"

namespace gw::record {
namespace {

/** put: appends `v` length-prefixed, so no two different key lists give the same text. */
void put(std::string& out, std::string_view v) {
  out.append(std::to_string(v.size())).append(":").append(v);
}

void put(std::string& out, std::int64_t v) { put(out, std::to_string(v)); }

void put(std::string& out, const void* p) {
  char buf[2 + 2 * sizeof(void*) + 1];
  std::snprintf(buf, sizeof buf, "%p", p);
  put(out, std::string_view(buf));
}

/** json_string: `s` as a JSON string literal (quoted and escaped as RapidJSON writes it). */
std::string json_string(std::string_view s) {
  const rapidjson::Value v(
      rapidjson::StringRef(s.data(), static_cast<rapidjson::SizeType>(s.size())));
  return fhir::to_json(v);
}

/** head: the Bundle's opening up to and including its timestamp (bundle.cpp, bundle_shell). */
std::size_t string_bytes(const std::string& s) { return sizeof(std::string) + s.capacity(); }

}  // namespace

std::string answer_key(const AnswerKey& k) {
  std::string out = "a";
  put(out, k.person);
  put(out, k.generation);
  put(out, k.config);
  put(out, k.policy);
  put(out, k.system_ods);
  put(out, k.user_ods);
  put(out, k.role_code);
  put(out, static_cast<std::int64_t>(k.purpose));
  put(out, std::int64_t{k.everything ? 1 : 0});
  if (k.grant != nullptr) {
    const policy::AccessGrant& g = *k.grant;
    put(out, static_cast<std::int64_t>(g.effect));
    put(out, static_cast<std::int64_t>(g.rule));
    put(out, static_cast<const void*>(g.agreement));
    put(out, std::int64_t{g.break_glass ? 1 : 0});
    put(out, static_cast<std::int64_t>(g.relationship));
    put(out, static_cast<const void*>(g.index));
    put(out, static_cast<std::int64_t>(g.by_source.size()));
    for (const auto& s : g.by_source) {
      put(out, static_cast<const void*>(s.agreement));
      put(out, std::int64_t{s.break_glass ? 1 : 0});
    }
  }
  put(out, k.base_path);
  if (k.params != nullptr) {
    put(out, static_cast<std::int64_t>(k.params->size()));
    for (const auto& [name, value] : *k.params) {
      put(out, name);
      put(out, value);
    }
  }
  return out;
}

std::string context_key(std::int64_t person, std::int64_t generation, const void* config) {
  std::string out = "c";
  put(out, person);
  put(out, generation);
  put(out, config);
  return out;
}

std::string split_bundle(std::string_view json, std::string_view id, std::string_view timestamp) {
  const std::string h = bundle_head(id, timestamp);
  if (!json.starts_with(h)) {
    return {};
  }
  return std::string(json.substr(h.size()));
}

std::string bundle_head(std::string_view id, std::string_view timestamp) {
  std::string h = R"({"resourceType":"Bundle","id":)";
  h.append(json_string(id));
  h.append(R"(,"type":"searchset","timestamp":)");
  h.append(json_string(timestamp));
  return h;
}

std::string splice_bundle(std::string_view tail, std::string_view id, std::string_view timestamp) {
  std::string out = bundle_head(id, timestamp);
  out.reserve(out.size() + tail.size());
  out.append(tail);
  return out;
}

std::size_t answer_bytes(const std::string& key, const CachedAnswer& a) {
  std::size_t n = 256 + string_bytes(key) + string_bytes(a.tail);
  const auto items = [&n](const std::vector<audit::DisclosedItem>& list) {
    for (const auto& d : list) {
      n += string_bytes(d.resource_type) + string_bytes(d.resource_id) + string_bytes(d.sha256_hex);
    }
  };
  items(a.audit.disclosed);
  if (const auto& p = a.audit.prepared_disclosed) {
    items(p->items);
    n += string_bytes(p->canonical) + string_bytes(p->json) + string_bytes(p->digest);
  }
  for (const auto& w : a.audit.withheld) {
    n += string_bytes(w);
  }
  n += string_bytes(a.audit.dsa_id) + string_bytes(a.audit.dsa_version) +
       string_bytes(a.audit.dsa_rule);
  n += string_bytes(a.resources_json);
  return n;
}

AnswerCache::AnswerCache(std::size_t max_bytes, AnswerCacheMetrics m)
    : max_bytes_(max_bytes), metrics_(m) {}

void AnswerCache::attach(AnswerCacheMetrics m) {
  std::lock_guard lock(mu_);
  metrics_ = m;
  publish();
}

AnswerCacheMetrics AnswerCache::make_metrics(metrics::Registry& registry) {
  AnswerCacheMetrics m;
  m.hits = &registry
                .counter("caregw_record_cache_hits_total",
                         "Shared record reads answered from the answer cache")
                .with({});
  m.misses = &registry
                  .counter("caregw_record_cache_misses_total",
                           "Shared record reads the answer cache could have answered but did not "
                           "hold (assembled, then kept)")
                  .with({});
  m.evictions = &registry
                     .counter("caregw_record_cache_evictions_total",
                              "Entries dropped from the answer cache to stay within "
                              "record.cache_mb")
                     .with({});
  m.bytes = &registry
                 .gauge("caregw_record_cache_bytes",
                        "Estimated memory held by the answer cache (bound: record.cache_mb)")
                 .with({});
  m.entries =
      &registry.gauge("caregw_record_cache_entries", "Entries in the answer cache").with({});
  return m;
}

std::shared_ptr<const CachedAnswer> AnswerCache::find_answer(const std::string& key) {
  auto v = std::static_pointer_cast<const CachedAnswer>(find(key));
  std::lock_guard lock(mu_);
  if (v) {
    ++stats_.hits;
    if (metrics_.hits != nullptr) {
      metrics_.hits->inc();
    }
  } else {
    ++stats_.misses;
    if (metrics_.misses != nullptr) {
      metrics_.misses->inc();
    }
  }
  return v;
}

void AnswerCache::put_answer(std::string key, std::shared_ptr<const CachedAnswer> a,
                             std::shared_ptr<const void> pin) {
  if (!a) {
    return;
  }
  const std::size_t bytes = answer_bytes(key, *a);
  put(std::move(key), std::move(a), std::move(pin), bytes);
}

std::shared_ptr<const policy::PatientContext> AnswerCache::find_context(const std::string& key) {
  return std::static_pointer_cast<const policy::PatientContext>(find(key));
}

void AnswerCache::put_context(std::string key, std::shared_ptr<const policy::PatientContext> c,
                              std::shared_ptr<const void> pin) {
  if (!c) {
    return;
  }
  std::size_t bytes =
      256 + string_bytes(key) + string_bytes(c->nhs_number) + string_bytes(c->registered_practice);
  for (const auto& e : c->episodes) {
    bytes += sizeof(e) + e.org.capacity() + e.care_coordinator.capacity();
  }
  put(std::move(key), std::move(c), std::move(pin), bytes);
}

std::shared_ptr<const CachedPerson> AnswerCache::find_person(const std::string& key) {
  return std::static_pointer_cast<const CachedPerson>(find(key));
}

void AnswerCache::put_person(std::string key, std::shared_ptr<const CachedPerson> p) {
  if (!p) {
    return;
  }
  // An estimate: the row, each local id and each source's demographics with their lists.
  const std::size_t bytes = 512 + string_bytes(key) + p->view.merged.size() * 16 +
                            p->view.local_ids.size() * 256 +
                            p->view.current_demographics.size() * 1024;
  put(std::move(key), std::move(p), nullptr, bytes);
}

AnswerCacheStats AnswerCache::stats() const {
  std::lock_guard lock(mu_);
  AnswerCacheStats s = stats_;
  s.bytes = bytes_;
  s.entries = lru_.size();
  return s;
}

std::shared_ptr<const void> AnswerCache::find(const std::string& key) {
  if (max_bytes_ == 0) {
    return nullptr;
  }
  std::lock_guard lock(mu_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first; iterators stay valid
  return it->second->value;
}

void AnswerCache::put(std::string key, std::shared_ptr<const void> value,
                      std::shared_ptr<const void> pin, std::size_t bytes) {
  if (max_bytes_ == 0 || bytes > max_bytes_) {
    return;
  }
  std::lock_guard lock(mu_);
  if (const auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->bytes;
    const auto old = it->second;
    index_.erase(it);
    lru_.erase(old);
  }
  while (!lru_.empty() && bytes_ + bytes > max_bytes_) {
    const Item& last = lru_.back();
    index_.erase(last.key);
    bytes_ -= last.bytes;
    lru_.pop_back();
    ++stats_.evictions;
    if (metrics_.evictions != nullptr) {
      metrics_.evictions->inc();
    }
  }
  lru_.push_front(Item{std::move(key), std::move(value), std::move(pin), bytes});
  index_.emplace(lru_.front().key, lru_.begin());
  bytes_ += bytes;
  publish();
}

void AnswerCache::publish() const {
  if (metrics_.bytes != nullptr) {
    metrics_.bytes->set(static_cast<std::int64_t>(bytes_));
  }
  if (metrics_.entries != nullptr) {
    metrics_.entries->set(static_cast<std::int64_t>(lru_.size()));
  }
}

}  // namespace gw::record
