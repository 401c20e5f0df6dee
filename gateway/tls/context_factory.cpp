// TLS context set-up after Mozilla's "intermediate" profile
// (https://wiki.mozilla.org/Security/Server_Side_TLS), and peer certificate inspection.
#include "gateway/tls/context_factory.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace gw::tls {
namespace {

namespace ssl = boost::asio::ssl;

constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) {
    return "unknown OpenSSL error";
  }
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

ContextPtr make_one(const config::Config& cfg, config::ClientCert mode,
                    std::vector<config::Diagnostic>& errors) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* h = ctx->native_handle();
  const auto& t = cfg.tls;
  auto fail = [&](int line, std::string msg) {
    errors.push_back({cfg.source, line, std::move(msg)});
  };
  SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
  // Intermediate profile: the client's cipher order is honoured (no server preference).
  SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Idle connections give their read/write buffers back to the allocator. The server's sessions
  // (FdSession) override this per connection: they keep the buffers while the peer is busy and
  // release them when it goes quiet.
  SSL_CTX_set_mode(h, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(h, kIntermediateCiphers) != 1 ||
      SSL_CTX_set1_groups_list(h, "X25519:prime256v1:secp384r1") != 1) {
    fail(0, "TLS: cannot set the cipher profile: " + openssl_error());
    return nullptr;
  }
  if (SSL_CTX_use_certificate_chain_file(h, t.certificate.value.c_str()) != 1) {
    fail(t.certificate.line, "'certificate': not a PEM certificate chain (" + t.certificate.value +
                                 "): " + openssl_error());
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(h, t.private_key.value.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail(t.private_key.line,
         "'private_key': not a PEM private key (" + t.private_key.value + "): " + openssl_error());
    return nullptr;
  }
  if (SSL_CTX_check_private_key(h) != 1) {
    fail(t.private_key.line, "'private_key' does not match 'certificate'");
    return nullptr;
  }
  if (SSL_CTX_load_verify_locations(h, t.client_ca.value.c_str(), nullptr) != 1) {
    fail(t.client_ca.line,
         "'client_ca': not a PEM CA bundle (" + t.client_ca.value + "): " + openssl_error());
    return nullptr;
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(t.client_ca.value.c_str());
  if (names == nullptr) {
    fail(t.client_ca.line, "'client_ca': no CA certificates in " + t.client_ca.value);
    ERR_clear_error();
    return nullptr;
  }
  SSL_CTX_set_client_CA_list(h, names);
  int verify = SSL_VERIFY_PEER;
  if (mode == config::ClientCert::kRequired) {
    verify |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(h, verify, nullptr);
  SSL_CTX_set_verify_depth(h, 4);
  // Resumed sessions must belong to this context (and so to its client-certificate policy).
  static constexpr unsigned char kSid[] = "caregw";
  const unsigned char* sid = kSid;
  SSL_CTX_set_session_id_context(h, sid, sizeof kSid - 1);
  return ctx;
}

}  // namespace

ServerContexts make_server_contexts(const config::Config& cfg,
                                    std::vector<config::Diagnostic>& errors) {
  ServerContexts out;
  out.client_required = make_one(cfg, config::ClientCert::kRequired, errors);
  if (!out.client_required) {
    return {};
  }
  out.client_optional = make_one(cfg, config::ClientCert::kOptional, errors);
  if (!out.client_optional) {
    return {};
  }
  return out;
}

PeerIdentity peer_identity(SSL* ssl) {
  PeerIdentity p;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) {
    return p;
  }
  p.presented = true;
  X509_NAME* name = X509_get_subject_name(cert);
  if (BIO* bio = BIO_new(BIO_s_mem()); bio != nullptr) {
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len > 0) {
      p.subject.assign(data, static_cast<std::size_t>(len));
    }
    BIO_free(bio);
  }
  const int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx >= 0) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n > 0) {
      p.common_name.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
    }
    OPENSSL_free(utf8);
  }
  return p;
}

std::string handshake_failure_reason(const boost::system::error_code& ec, SSL* ssl) {
  if (ec == boost::beast::error::timeout) {
    return "timeout";
  }
  if (ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated ||
      ec == boost::asio::error::connection_reset) {
    // The peer went away; when it did so because our verification failed, say why.
    if (ssl == nullptr || SSL_get_verify_result(ssl) == X509_V_OK) {
      return "closed_by_peer";
    }
  }
  if (ssl != nullptr) {
    switch (SSL_get_verify_result(ssl)) {
      case X509_V_OK:
        break;
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return "certificate_expired";
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return "certificate_not_yet_valid";
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_CERT_SIGNATURE_FAILURE:
        return "unknown_ca";
      case X509_V_ERR_CERT_REVOKED:
        return "certificate_revoked";
      case X509_V_ERR_INVALID_PURPOSE:
        return "certificate_wrong_purpose";
      default:
        return "certificate_invalid";
    }
  }
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
      case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
        return "no_certificate";
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_VERSION_TOO_LOW:
        return "protocol_version";
      case SSL_R_NO_SHARED_CIPHER:
        return "no_shared_cipher";
      case SSL_R_HTTP_REQUEST:
      case SSL_R_HTTPS_PROXY_REQUEST:
        return "plain_http";
      case SSL_R_WRONG_VERSION_NUMBER:
        return "not_tls";
      default:
        return "tls_error";
    }
  }
  return "network_error";
}

}  // namespace gw::tls
