#include "actors/common/http_client.hpp"
#include "actors/common/log.hpp"

#include <gtest/gtest.h>

namespace {

using kfix::log::redact_url;

TEST(UrlRedaction, UrlsLoseTheirCredentials) {
  EXPECT_EQ(redact_url("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/services/<redacted>");
  EXPECT_EQ(redact_url("https://user:pass@gitlab.example.com/api/v4/projects"),
            "https://<redacted>@gitlab.example.com/api/v4/projects");
  EXPECT_EQ(redact_url("https://x.logic.azure.com/workflows/abc/triggers/"
                       "manual?api-version=1&sig=s3cret"),
            "https://x.logic.azure.com/workflows/<redacted>?api-version=1&"
            "sig=<redacted>");
  EXPECT_EQ(redact_url("https://gitlab.example.com/api/v4/x?private_token=t&"
                       "page=2"),
            "https://gitlab.example.com/api/v4/x?private_token=<redacted>&"
            "page=2");
  EXPECT_EQ(redact_url("http://127.0.0.1:8080/api/v1/query?from=1&to=2"),
            "http://127.0.0.1:8080/api/v1/query?from=1&to=2");
}

TEST(UrlRedaction, CredentialHeadersAreSecret) {
  for (auto name : {"Authorization", "DD-API-KEY", "dd-application-key",
                    "PRIVATE-TOKEN", "x-api-key", "X-KFix-Token"})
    EXPECT_TRUE(kfix::http::is_secret_header(name)) << name;
  EXPECT_FALSE(kfix::http::is_secret_header("Content-Type"));
}

} // namespace
