#include "actors/context/log_redaction.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace kfix::context {
namespace {

using cases = std::vector<std::pair<std::string, std::string>>;

void check(const cases& xs) {
  for (const auto& [input, expected] : xs)
    EXPECT_EQ(redact(input), expected) << "input: " << input;
}

TEST(LogRedaction, BearerAndAuthorization) {
  check({
    {"Authorization: Bearer abcdef1234567890xyz",
     "Authorization: Bearer <redacted>"},
    {"curl -H 'authorization: bearer 0123456789abcdef.ghij/kl+mn=='",
     "curl -H 'authorization: bearer <redacted>'"},
    {"Authorization: Basic dXNlcjpwYXNzd29yZA==",
     "Authorization: Basic <redacted>"},
    {"authorization=8f14e45fceea167a5a36dedd4bea2543",
     "authorization=<redacted>"},
  });
}

TEST(LogRedaction, KeyValueAndJson) {
  check({
    {"DB_PASSWORD=hunter2 started", "DB_PASSWORD=<redacted> started"},
    {"login password=\"p@ss word\" ok", "login password=<redacted> ok"},
    {"GET /v1/items?api_key=0123456789abcdef&limit=5",
     "GET /v1/items?api_key=<redacted>&limit=5"},
    {"x-api-key: 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "x-api-key: <redacted>"},
    {"password: hunter", "password: <redacted>"},
    {"client_secret=s3cr3t; next", "client_secret=<redacted>; next"},
    {"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "aws_secret_access_key = <redacted>"},
    {R"({"user":"bob","password":"hunter2","token":"a\"b"})",
     R"({"user":"bob","password":"<redacted>","token":"<redacted>"})"},
    {R"(body={\"client_secret\":\"abc123\",\"n\":1})",
     R"(body={\"client_secret\":\"<redacted>\",\"n\":1})"},
    {R"({"apiKey": "0123456789abcdef0123456789abcdef"})",
     R"({"apiKey": "<redacted>"})"},
  });
}

TEST(LogRedaction, TokenShapes) {
  check({
    {"key AKIAIOSFODNN7EXAMPLE used", "key <redacted> used"},
    {"jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVm"
     "NHl0w5N_XgL0n3I9PlFUP0THsR8U end",
     "jwt=<redacted> end"},
    {"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc in header",
     "token <redacted> in header"},
    {"pushed with ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
     "pushed with <redacted>"},
    {"GITLAB glpat-xxxxxxxxxxxxxxxxxxxx1 used", "GITLAB <redacted> used"},
    {"hook xoxb-123456789012-abcdefghijkl", "hook <redacted>"},
    {"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE "
     "KEY----- loaded",
     "<redacted> loaded"},
    {"key: -----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq", "key: <redacted>"},
  });
}

TEST(LogRedaction, UrlsEmailsCards) {
  check({
    {"dial postgres://orders:s3cr3t@db.internal:5432/orders failed",
     "dial postgres://orders:<redacted>@db.internal:5432/orders failed"},
    {"mail to jane.doe+shop@example.co.uk bounced",
     "mail to <redacted> bounced"},
    {"card 4111 1111 1111 1111 declined", "card <redacted> declined"},
    {"card 5555-5555-5555-4444 declined", "card <redacted> declined"},
    {"amex 378282246310005 ok", "amex <redacted> ok"},
  });
}

TEST(LogRedaction, NonCases) {
  // Prose, identifiers and numbers that only look similar stay as they are.
  check({
    {"OOMKilled: container app exceeded memory limit 805306368",
     "OOMKilled: container app exceeded memory limit 805306368"},
    {"token: expired for user 42", "token: expired for user 42"},
    {"refresh token: connection refused", "refresh token: connection refused"},
    {"max_tokens=100 tokens: 5 secretName: db-creds",
     "max_tokens=100 tokens: 5 secretName: db-creds"},
    {"invalid bearer token", "invalid bearer token"},
    {"order 4111111111111112 not Luhn", "order 4111111111111112 not Luhn"},
    {"at 1710410400000 ms", "at 1710410400000 ms"},
    {"request id 2026-03-14T10:02:11Z 550e8400-e29b-41d4-a716-446655440000",
     "request id 2026-03-14T10:02:11Z 550e8400-e29b-41d4-a716-446655440000"},
    {"image registry/app@sha256:abcdef and user@host",
     "image registry/app@sha256:abcdef and user@host"},
    {"GET https://api.example.com/v1/orders 200",
     "GET https://api.example.com/v1/orders 200"},
    {"basic authentication disabled", "basic authentication disabled"},
    {"", ""},
  });
}

TEST(LogRedaction, Idempotent) {
  auto once = redact("password=a token=b Authorization: Bearer "
                     "abcdefghijklmnop jane@example.com");
  EXPECT_EQ(redact(once), once);
  EXPECT_EQ(once, "password=<redacted> token=<redacted> Authorization: "
                  "Bearer <redacted> <redacted>");
}

TEST(LogRedaction, LuhnCheck) {
  EXPECT_TRUE(luhn_valid("4111 1111 1111 1111"));
  EXPECT_TRUE(luhn_valid("79927398713"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_FALSE(luhn_valid(""));
}

TEST(LogRedaction, TruncateUtf8) {
  std::string text = "ab\xC3\xA9"
                     "cd"; // "abécd"
  EXPECT_EQ(truncate_utf8(text, 10), text);
  EXPECT_EQ(truncate_utf8(text, 4), "ab\xC3\xA9");
  // Cutting inside é steps back before it.
  EXPECT_EQ(truncate_utf8(text, 3), "ab");
  EXPECT_EQ(truncate_utf8(text, 0), "");
}

TEST(LogRedaction, MessageRedactedBeforeTruncation) {
  // A secret straddling the 2 KiB cut is redacted, not half kept.
  std::string text(2040, 'a');
  text += " password=supersecretvalue";
  auto out = redact_log_message(text);
  EXPECT_LE(out.size(), max_log_message_bytes);
  EXPECT_EQ(out.find("supersecret"), std::string::npos);
  EXPECT_EQ(out.find("super"), std::string::npos);
  // Huge messages are bounded.
  std::string huge(1 << 20, 'y');
  EXPECT_EQ(redact_log_message(huge).size(), max_log_message_bytes);
  EXPECT_EQ(redact_log_message("short"), "short");
}

} // namespace
} // namespace kfix::context
