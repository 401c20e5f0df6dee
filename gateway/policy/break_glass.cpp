// The break-glass registry: grants in memory, written through to a GrantStore when durable.
#include "gateway/policy/break_glass.hpp"

#include <algorithm>
#include <iterator>

namespace gw::policy {

namespace {
constexpr std::size_t kMinJustification = 10;
constexpr std::size_t kMaxJustification = 1000;

bool same_key(const GrantRecord& r, const std::string& user_id, const std::string& nhs_number) {
  return r.grant.user_id == user_id && r.grant.nhs_number == nhs_number;
}
}  // namespace

BreakGlassRegistry::BreakGlassRegistry(const Clock& clock, std::chrono::seconds ttl)
    : clock_(clock), ttl_(ttl) {}

Result<std::unique_ptr<BreakGlassRegistry>> BreakGlassRegistry::durable(const Clock& clock,
                                                                        std::chrono::seconds ttl,
                                                                        GrantStorePtr store) {
  if (store == nullptr) {
    return make_error(Errc::kInternal, "break-glass: a durable registry needs a store");
  }
  const auto now = clock.now();
  if (auto purged = store->purge_expired(now); !purged) {
    return purged.error();
  }
  auto open = store->load_open(now);
  if (!open) {
    return open.error();
  }
  auto reg = std::make_unique<BreakGlassRegistry>(clock, ttl);
  reg->store_ = std::move(store);
  reg->grants_ = std::move(*open);
  return reg;
}

Result<BreakGlassGrant> BreakGlassRegistry::open(const BreakGlassRequest& request,
                                                 const GrantOrigin& origin) {
  const auto reason = parse_break_glass_reason(request.reason_code);
  if (!reason) {
    return make_error(Errc::kBadRequest,
                      "break-glass reason must be emergency-treatment, patient-request or "
                      "safeguarding-concern");
  }
  const auto first = request.justification.find_first_not_of(" \t\r\n");
  const std::size_t length = first == std::string::npos ? 0 : request.justification.size() - first;
  if (length < kMinJustification || request.justification.size() > kMaxJustification) {
    return make_error(Errc::kBadRequest,
                      "break-glass needs a stated justification of 10 to 1000 characters");
  }
  if (request.user_id.empty() || request.nhs_number.empty()) {
    return make_error(Errc::kBadRequest, "break-glass needs a user and a patient");
  }
  GrantRecord rec;
  BreakGlassGrant& g = rec.grant;
  g.user_id = request.user_id;
  g.nhs_number = request.nhs_number;
  g.reason = *reason;
  g.justification = request.justification;
  g.granted_at = clock_.now();
  g.expires_at = g.granted_at + ttl_;
  rec.origin = origin;
  std::lock_guard write(write_mu_);
  if (store_ != nullptr) {
    // On disk before it takes effect: a grant the gateway answered with survives a restart.
    if (auto saved = store_->save(rec); !saved) {
      return saved.error();
    }
    (void)store_->purge_expired(g.granted_at);  // housekeeping; retried on the next open
  }
  std::lock_guard lock(mu_);
  std::erase_if(grants_, [&](const GrantRecord& x) {
    return same_key(x, g.user_id, g.nhs_number) || x.grant.expires_at <= g.granted_at;
  });
  grants_.push_back(rec);
  return g;
}

std::optional<BreakGlassGrant> BreakGlassRegistry::active(const std::string& user_id,
                                                          const std::string& nhs_number) const {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  for (const auto& r : grants_) {
    if (same_key(r, user_id, nhs_number) && now < r.grant.expires_at) {
      return r.grant;
    }
  }
  return std::nullopt;
}

bool BreakGlassRegistry::close(const std::string& user_id, const std::string& nhs_number) {
  return end(user_id, nhs_number).has_value();
}

Result<GrantRecord> BreakGlassRegistry::end(const std::string& user_id,
                                            const std::string& nhs_number) {
  std::lock_guard write(write_mu_);
  const auto now = clock_.now();
  std::optional<GrantRecord> found;
  {
    std::lock_guard lock(mu_);
    for (const auto& r : grants_) {
      if (same_key(r, user_id, nhs_number) && now < r.grant.expires_at) {
        found = r;
      }
    }
  }
  if (!found) {
    return make_error(Errc::kNotFound, "no break-glass of yours is open for this patient");
  }
  if (store_ != nullptr) {
    if (auto closed = store_->close(user_id, nhs_number, now); !closed) {
      return closed.error();
    }
  }
  std::lock_guard lock(mu_);
  std::erase_if(grants_, [&](const GrantRecord& r) { return same_key(r, user_id, nhs_number); });
  found->closed_at = now;
  return *found;
}

Result<void> BreakGlassRegistry::note_audit_seq(const std::string& user_id,
                                                const std::string& nhs_number, TimePoint granted_at,
                                                std::uint64_t seq) {
  std::lock_guard write(write_mu_);
  {
    std::lock_guard lock(mu_);
    const auto it = std::find_if(grants_.begin(), grants_.end(), [&](const GrantRecord& r) {
      return same_key(r, user_id, nhs_number) && r.grant.granted_at == granted_at;
    });
    if (it != grants_.end()) {
      it->audit_seq = seq;
    }  // else replaced or ended meanwhile: its row on disk is still linked below
  }
  if (store_ != nullptr) {
    return store_->set_audit_seq(user_id, nhs_number, granted_at, seq);
  }
  return {};
}

std::size_t BreakGlassRegistry::purge_expired() {
  std::lock_guard write(write_mu_);
  const auto now = clock_.now();
  if (store_ != nullptr) {
    (void)store_->purge_expired(now);  // best effort: the next purge or start retries it
  }
  std::lock_guard lock(mu_);
  return std::erase_if(grants_, [&](const GrantRecord& r) { return r.grant.expires_at <= now; });
}

std::vector<BreakGlassGrant> BreakGlassRegistry::active_grants() const {
  std::vector<BreakGlassGrant> out;
  for (auto& r : active_records()) {
    out.push_back(std::move(r.grant));
  }
  return out;
}

std::size_t BreakGlassRegistry::active_count() const {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(grants_.begin(), grants_.end(),
                    [&](const GrantRecord& r) { return now < r.grant.expires_at; }));
}

std::vector<GrantRecord> BreakGlassRegistry::active_records() const {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  std::vector<GrantRecord> out;
  std::copy_if(grants_.begin(), grants_.end(), std::back_inserter(out),
               [&](const GrantRecord& r) { return now < r.grant.expires_at; });
  return out;
}

}  // namespace gw::policy
