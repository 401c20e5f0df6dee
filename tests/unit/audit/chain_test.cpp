#include "gateway/audit/chain.hpp"

#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "gateway/fhir/json.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;

TEST(AuditChainTest, Sha256MatchesTheStandardVector) {
  // FIPS 180-2 appendix B.1.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AuditChainTest, ChainHashCoversPreviousHashAndRecord) {
  const Hash h1 = chain_hash(kGenesisHash, "one");
  EXPECT_NE(chain_hash(h1, "two"), chain_hash(kGenesisHash, "two"));
  EXPECT_NE(chain_hash(h1, "two"), chain_hash(h1, "twO"));
  EXPECT_EQ(hash_from_hex(to_hex(h1)), h1);
  EXPECT_FALSE(hash_from_hex("zz"));
}

TEST(AuditChainTest, KeyIsCreatedOnceWithMode0600AndReloaded) {
  gw::test::TempDir dir;
  const std::filesystem::path file = dir.file("keys/audit.pem");
  auto k1 = ok(AuditKey::load_or_create(file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);
  ASSERT_EQ(::stat(file.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0700U);
  auto k2 = ok(AuditKey::load_or_create(file));
  EXPECT_EQ(k1.key_id(), k2.key_id());
  auto sig = ok(k1.sign("hello"));
  EXPECT_EQ(sig.size(), 64U);
  EXPECT_TRUE(k2.verify("hello", sig));
  EXPECT_FALSE(k2.verify("hellO", sig));
}

TEST(AuditChainTest, KeyReadableByOthersIsRefused) {
  gw::test::TempDir dir;
  const std::filesystem::path file = dir.file("audit.pem");
  (void)ok(AuditKey::load_or_create(file));
  ::chmod(file.c_str(), 0644);
  auto r = AuditKey::load(file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
  EXPECT_EQ(AuditKey::load(dir.file("missing.pem")).error().code, Errc::kNotFound);
}

TEST(AuditChainTest, CheckpointsSignExportAndVerifyWithThePublicKeyOnly) {
  gw::test::TempDir dir;
  auto key = ok(AuditKey::load_or_create(dir.file("audit.pem")));
  Checkpoint cp = make_checkpoint(CheckpointKind::kPeriodic, 1000, chain_hash(kGenesisHash, "x"),
                                  123, "node-a");
  ok(sign_checkpoint(key, cp));
  EXPECT_TRUE(checkpoint_signature_ok(key, cp));
  const std::string json = checkpoints_to_json({cp}, key);
  auto back = ok(checkpoints_from_json(json));
  ASSERT_EQ(back.size(), 1U);
  EXPECT_EQ(back[0].seq, 1000U);
  EXPECT_EQ(back[0].head, cp.head);
  auto doc = ok(fhir::parse_json(json));
  auto pub = ok(AuditKey::load_public(doc["public_key"].GetString()));
  EXPECT_TRUE(checkpoint_signature_ok(pub, back[0]));
  EXPECT_FALSE(pub.sign("x"));
  // Forged: any change to what was signed fails.
  Checkpoint forged = back[0];
  forged.seq = 999;
  EXPECT_FALSE(checkpoint_signature_ok(pub, forged));
  forged = back[0];
  forged.head = kGenesisHash;
  EXPECT_FALSE(checkpoint_signature_ok(pub, forged));
  // Signed by another key.
  auto other = ok(AuditKey::load_or_create(dir.file("other.pem")));
  Checkpoint theirs = cp;
  ok(sign_checkpoint(other, theirs));
  EXPECT_FALSE(checkpoint_signature_ok(key, theirs));
}

TEST(AuditChainTest, Base64RoundTrips) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(unbase64(base64(s)), s);
  }
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");  // RFC 4648 section 10
  EXPECT_FALSE(unbase64("Zm9"));
}

}  // namespace
}  // namespace gw::audit
