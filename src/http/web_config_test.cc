#include "http/web_config.h"

#include <gtest/gtest.h>

#include "http/basic_auth.h"

namespace mytsdb::http {
namespace {

// bcrypt("secret"), as `htpasswd -nbBC 10 "" secret` makes it.
constexpr const char* kSecretHash = "$2b$10$EbBRYjWJlpRf03hTuUow1OjPHnltGC32ZMub470KL7cWkdFwgrtaS";

TEST(WebConfigTest, EmptyFileIsPlainHttpWithoutAuth) {
  auto c = ParseWebConfig("", "");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->tls.has_value());
  EXPECT_TRUE(c->basic_auth_users.empty());
}

TEST(WebConfigTest, RefusesWhatExporterToolkitRefuses) {
  for (const char* bad : {
           "tls_server_confg: {}\n",                                       // unknown key
           "tls_server_config:\n  key_file: k.pem\n",                      // no certificate
           "tls_server_config:\n  cert: x\n  cert_file: y\n  key: z\n",     // both
           "tls_server_config:\n  cert: x\n  key: y\n  client_auth_type: Sometimes\n",
           "tls_server_config:\n  cert: x\n  key: y\n  client_auth_type: RequireAndVerifyClientCert\n",
           "tls_server_config:\n  cert: x\n  key: y\n  min_version: TLS14\n",
           "tls_server_config:\n  cert: x\n  key: y\n  min_version: TLS13\n  max_version: TLS12\n",
           "tls_server_config:\n  cert: x\n  key: y\n  curve_preferences: [P999]\n",
           "basic_auth_users:\n  alice: plaintext\n",                       // not a bcrypt hash
           "http_server_config:\n  headers:\n    Set-Cookie: x\n",
       }) {
    EXPECT_FALSE(ParseWebConfig(bad, "").ok()) << bad;
  }
}

TEST(WebConfigTest, ParsesUsersHeadersAndTls) {
  std::string yaml = std::string("basic_auth_users:\n  alice: ") + kSecretHash +
                     "\nhttp_server_config:\n  http2: false\n  headers:\n"
                     "    X-Frame-Options: deny\n"
                     "tls_server_config:\n  cert: CERT\n  key: KEY\n  min_version: TLS13\n"
                     "  client_auth_type: VerifyClientCertIfGiven\n  client_ca: CA\n";
  auto c = ParseWebConfig(yaml, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->basic_auth_users.at("alice"), kSecretHash);
  EXPECT_EQ(c->headers.size(), 1u);
  ASSERT_TRUE(c->tls.has_value());
  EXPECT_EQ(c->tls->cert_pem, "CERT");
  EXPECT_EQ(c->tls->min_version, 0x0304);
  EXPECT_EQ(c->tls->client_auth, ClientAuth::kVerifyIfGiven);
}

TEST(BasicAuthTest, ChecksBcryptAndCachesOnlySuccesses) {
  EXPECT_TRUE(BcryptMatches("not-a-password-anyone-uses", kSecretHash));
  EXPECT_FALSE(BcryptMatches("wrong", kSecretHash));
  BasicAuthenticator auth;
  std::map<std::string, std::string> users = {{"alice", kSecretHash}};
  std::string user;
  // "alice:not-a-password-anyone-uses" in base64
  const std::string good = "Basic YWxpY2U6bm90LWEtcGFzc3dvcmQtYW55b25lLXVzZXM=";
  EXPECT_TRUE(auth.Check(users, good, &user));
  EXPECT_EQ(user, "alice");
  EXPECT_TRUE(auth.Check(users, good, &user));  // cached
  EXPECT_FALSE(auth.Check(users, "Basic YWxpY2U6d3Jvbmc=", &user));  // alice:wrong
  EXPECT_FALSE(auth.Check(users, "Basic Ym9iOm5vdC1hLXBhc3N3b3JkLWFueW9uZS11c2Vz", &user));  // bob
  EXPECT_FALSE(auth.Check(users, "Bearer x", &user));
  EXPECT_FALSE(auth.Check(users, "Basic !!!", &user));
  EXPECT_FALSE(auth.Check({}, good, &user));
}

}  // namespace
}  // namespace mytsdb::http
