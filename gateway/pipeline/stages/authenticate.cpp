// Authenticate: the organisation behind the connection, from its verified client certificate.
// The TLS layer has already checked the chain and dates; here the subject must name a configured
// organisation (and match its pinned subject, if the config pins one).
#include "gateway/pipeline/peer.hpp"
#include "gateway/pipeline/stages/stages.hpp"

namespace gw::pipeline {
namespace {

class Authenticate final : public Stage {
public:
  explicit Authenticate(http::ServerStats& stats) : stats_(stats) {}
  [[nodiscard]] std::string_view name() const override { return "authenticate"; }

  boost::asio::awaitable<Result<void>> run(const http::Request& /*req*/, RequestContext& ctx,
                                           http::Response& /*res*/) override {
    co_return check(ctx);
  }

private:
  Result<void> refuse(RequestContext& ctx, std::string_view reason, Errc code, std::string detail) {
    stats_.peers_refused.with({ctx.listener, reason}).inc();
    return make_error(code, std::move(detail));
  }

  Result<void> check(RequestContext& ctx) {
    if (!ctx.peer.presented) {
      if (ctx.client_cert_mode == config::ClientCert::kRequired) {
        return refuse(
            ctx, "no_certificate", Errc::kUnauthenticated,
            "this port requires a client certificate issued to a configured organisation");
      }
      return {};  // people in a browser; later stages decide what they may do
    }
    auto org = peer_organisation(ctx.peer, *ctx.config);
    if (!org) {
      return refuse(ctx, org.error().reason, org.error().error.code,
                    std::move(org.error().error.detail));
    }
    ctx.organisation = *org;
    return {};
  }

  http::ServerStats& stats_;
};

}  // namespace

boost::system::result<const config::Organisation*, PeerRefusal> peer_organisation(
    const tls::PeerIdentity& peer, const config::Config& config) {
  auto ods = OdsCode::parse(peer.common_name);
  if (!ods) {
    return PeerRefusal{"subject_not_ods",
                       make_error(Errc::kForbidden, "the client certificate's subject CN '" +
                                                        peer.common_name + "' is not an ODS code")};
  }
  const config::Organisation* org = config.find_organisation(*ods);
  if (org == nullptr) {
    return PeerRefusal{
        "unknown_organisation",
        make_error(Errc::kForbidden, "organisation " + ods->str() +
                                         " named by the client certificate is not configured on "
                                         "this gateway")};
  }
  if (!org->certificate_subject.empty() && org->certificate_subject != peer.subject) {
    return PeerRefusal{"subject_mismatch",
                       make_error(Errc::kForbidden,
                                  "the client certificate's subject does not match the one "
                                  "configured for organisation " +
                                      ods->str())};
  }
  return org;
}

std::unique_ptr<Stage> make_authenticate_stage(http::ServerStats& stats) {
  return std::make_unique<Authenticate>(stats);
}

}  // namespace gw::pipeline
