#include "web/basic_auth.h"

#include <crypt.h>
#include <gtest/gtest.h>

#include "common/http_authorization.h"

namespace andon::web {
namespace {

// A bcrypt hash of `password` at the lowest cost, so tests stay fast.
std::string Bcrypt(const std::string& password, const char* prefix = "$2b$") {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn(prefix, 4, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  return crypt_r(password.c_str(), salt, &data);
}

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

TEST(BasicAuthTest, BcryptMatchesOnlyTheRightPassword) {
  std::string hash = Bcrypt("s3cret");
  EXPECT_TRUE(BasicAuthenticator::BcryptMatches("s3cret", hash));
  EXPECT_FALSE(BasicAuthenticator::BcryptMatches("s3cret ", hash));
  EXPECT_FALSE(BasicAuthenticator::BcryptMatches("", hash));
  EXPECT_FALSE(BasicAuthenticator::BcryptMatches("s3cret", "not a hash"));
}

TEST(BasicAuthTest, AcceptsHtpasswdStyle2yHashes) {
  std::string made = Bcrypt("test", "$2y$");
  ASSERT_EQ(made.substr(0, 4), "$2y$");
  EXPECT_TRUE(BasicAuthenticator::BcryptMatches("test", made));
  EXPECT_FALSE(BasicAuthenticator::BcryptMatches("tesT", made));
}

TEST(BasicAuthTest, AllowsConfiguredUsersWithTheirPasswordsOnly) {
  BasicAuthenticator auth({{"alice", Secret(Bcrypt("a-pass"))}, {"bob", Secret(Bcrypt("b-pass"))}});
  EXPECT_TRUE(auth.Allows(Basic("alice", "a-pass")));
  EXPECT_TRUE(auth.Allows(Basic("bob", "b-pass")));
  EXPECT_FALSE(auth.Allows(Basic("alice", "b-pass")));
  EXPECT_FALSE(auth.Allows(Basic("carol", "a-pass")));
  EXPECT_FALSE(auth.Allows(Basic("alice", "")));
  EXPECT_FALSE(auth.Allows(""));
  EXPECT_FALSE(auth.Allows("Bearer abc"));
  EXPECT_FALSE(auth.Allows("Basic !!!not-base64"));
  EXPECT_FALSE(auth.Allows("Basic " + Base64("no-colon")));
  EXPECT_TRUE(auth.Allows("basic " + Base64("alice:a-pass")));  // scheme is case-insensitive
}

TEST(BasicAuthTest, ACachedSuccessDoesNotLetAWrongPasswordIn) {
  BasicAuthenticator auth({{"alice", Secret(Bcrypt("a-pass"))}});
  ASSERT_TRUE(auth.Allows(Basic("alice", "a-pass")));
  ASSERT_TRUE(auth.Allows(Basic("alice", "a-pass")));  // from the cache
  EXPECT_FALSE(auth.Allows(Basic("alice", "a-pass2")));
  EXPECT_FALSE(auth.Allows(Basic("alice", "a-pas")));
  EXPECT_FALSE(auth.Allows(Basic("alice:a", "pass")));
}

TEST(BasicAuthTest, PasswordsMayContainColons) {
  BasicAuthenticator auth({{"alice", Secret(Bcrypt("a:b:c"))}});
  EXPECT_TRUE(auth.Allows(Basic("alice", "a:b:c")));
}

TEST(BasicAuthTest, NoUsersMeansNoAuthentication) {
  BasicAuthenticator auth({});
  EXPECT_TRUE(auth.Allows(""));
}

}  // namespace
}  // namespace andon::web
