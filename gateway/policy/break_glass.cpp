// The break-glass registry.
#include "gateway/policy/break_glass.hpp"

#include <algorithm>
#include <iterator>

namespace gw::policy {

namespace {
constexpr std::size_t kMinJustification = 10;
constexpr std::size_t kMaxJustification = 1000;
}  // namespace

BreakGlassRegistry::BreakGlassRegistry(const Clock& clock, std::chrono::seconds ttl)
    : clock_(clock), ttl_(ttl) {}

Result<BreakGlassGrant> BreakGlassRegistry::open(const BreakGlassRequest& request) {
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
  BreakGlassGrant g;
  g.user_id = request.user_id;
  g.nhs_number = request.nhs_number;
  g.reason = *reason;
  g.justification = request.justification;
  g.granted_at = clock_.now();
  g.expires_at = g.granted_at + ttl_;
  std::lock_guard lock(mu_);
  std::erase_if(grants_, [&](const BreakGlassGrant& x) {
    return (x.user_id == g.user_id && x.nhs_number == g.nhs_number) || x.expires_at <= g.granted_at;
  });
  grants_.push_back(g);
  return g;
}

std::optional<BreakGlassGrant> BreakGlassRegistry::active(const std::string& user_id,
                                                          const std::string& nhs_number) const {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  for (const auto& g : grants_) {
    if (g.user_id == user_id && g.nhs_number == nhs_number && now < g.expires_at) {
      return g;
    }
  }
  return std::nullopt;
}

bool BreakGlassRegistry::close(const std::string& user_id, const std::string& nhs_number) {
  std::lock_guard lock(mu_);
  return std::erase_if(grants_, [&](const BreakGlassGrant& g) {
           return g.user_id == user_id && g.nhs_number == nhs_number;
         }) > 0;
}

std::size_t BreakGlassRegistry::purge_expired() {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  return std::erase_if(grants_, [&](const BreakGlassGrant& g) { return g.expires_at <= now; });
}

std::vector<BreakGlassGrant> BreakGlassRegistry::active_grants() const {
  const auto now = clock_.now();
  std::lock_guard lock(mu_);
  std::vector<BreakGlassGrant> out;
  std::copy_if(grants_.begin(), grants_.end(), std::back_inserter(out),
               [&](const BreakGlassGrant& g) { return now < g.expires_at; });
  return out;
}

}  // namespace gw::policy
