#include "actors/context/recording.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kfix::context {
namespace {

using json = nlohmann::json;

http::outgoing get(std::string service, std::string url) {
  http::outgoing req;
  req.service = std::move(service);
  req.url = std::move(url);
  req.headers = {{"Authorization", "Bearer s3cr3t-token-value"},
                 {"DD-API-KEY", "dd-api-key-value"},
                 {"DD-APPLICATION-KEY", "dd-app-key-value"}};
  return req;
}

http::incoming answer(int status, const json& body) {
  http::incoming res;
  res.status = status;
  res.body = body.dump();
  res.headers.emplace("content-type", "application/json");
  res.headers.emplace("x-ratelimit-remaining", "99");
  res.headers.emplace("set-cookie", "session=abc");
  return res;
}

TEST(Recording, MaskSecrets) {
  json secret{{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", {{"name", "db"}}},
              {"data", {{"password", "aHVudGVy"}, {"user", "YXBp"}}}};
  mask_secrets(secret);
  EXPECT_EQ(secret["data"]["password"], "<redacted>");
  EXPECT_EQ(secret["data"]["user"], "<redacted>");
  EXPECT_EQ(secret["metadata"]["name"], "db");
  json pod{
    {"kind", "Pod"},
    {"metadata",
     {{"name", "p"},
      {"annotations",
       {{"kubectl.kubernetes.io/last-applied-configuration",
         R"({"spec":{"env":[{"name":"API_TOKEN","value":"abc123"}]}})"}}}}},
    {"spec",
     {{"containers",
       {{{"name", "app"},
         {"image", "registry/app:1.2"},
         {"env",
          {{{"name", "DB_PASSWORD"}, {"value", "hunter2"}},
           {{"name", "LOG_LEVEL"}, {"value", "info"}},
           {{"name", "DSN"},
            {"value", "postgres://app:hunter2@db:5432/app"}}}}}}},
      {"secretName", "not-a-secret-value"}}}};
  mask_secrets(pod);
  const auto& env = pod["spec"]["containers"][0]["env"];
  EXPECT_EQ(env[0]["value"], "<redacted>");
  EXPECT_EQ(env[1]["value"], "info");
  EXPECT_EQ(env[2]["value"], "postgres://app:<redacted>@db:5432/app");
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "registry/app:1.2");
  EXPECT_EQ(pod["spec"]["secretName"], "not-a-secret-value");
  auto applied = pod["metadata"]["annotations"]
                    ["kubectl.kubernetes.io/last-applied-configuration"]
                      .get<std::string>();
  EXPECT_EQ(applied.find("abc123"), std::string::npos) << applied;
  json log{{"attributes",
            {{"message", "auth with Bearer eyJhbGciOi.eyJzdWIiOi.sig failed"},
             {"attributes", {{"api_key", "k-123"}, {"user", "a@b.example"}}}}}};
  mask_secrets(log);
  EXPECT_EQ(log["attributes"]["attributes"]["api_key"], "<redacted>");
  EXPECT_EQ(log["attributes"]["attributes"]["user"], "<redacted>");
  EXPECT_EQ(log["attributes"]["message"].get<std::string>().find("eyJ"),
            std::string::npos);
}

TEST(Recording, CassetteEntryWithoutCredentials) {
  auto req
    = get("kubernetes", "https://10.0.0.1:6443/api/v1/namespaces/shop/pods?"
                        "labelSelector=app%3Dcheckout&limit=500&limit=10");
  auto res = answer(200, json{{"kind", "PodList"}, {"items", json::array()}});
  auto line = cassette_entry(req, res, "https://10.0.0.1:6443");
  EXPECT_EQ(line["service"], "kubernetes");
  EXPECT_EQ(line["request"]["method"], "GET");
  EXPECT_EQ(line["request"]["path"], "/api/v1/namespaces/shop/pods");
  EXPECT_EQ(line["request"]["query"]["labelSelector"], "app=checkout");
  EXPECT_EQ(line["request"]["query"]["limit"], json::array({"500", "10"}));
  EXPECT_TRUE(line["request"]["body"].is_null());
  EXPECT_EQ(line["response"]["status"], 200);
  EXPECT_EQ(line["response"]["body"]["kind"], "PodList");
  EXPECT_EQ(line["response"]["headers"]["content-type"], "application/json");
  EXPECT_EQ(line["response"]["headers"]["x-ratelimit-remaining"], "99");
  EXPECT_FALSE(line["response"]["headers"].contains("set-cookie"));
  auto text = line.dump();
  for (auto secret : {"s3cr3t-token-value", "dd-api-key-value",
                      "dd-app-key-value", "Authorization", "DD-API-KEY"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;
  // A POST body as JSON, a non-JSON answer as text.
  auto post = get("datadog", "http://dd.test/api/v2/logs/events/search");
  post.method = "POST";
  post.body = R"({"filter":{"query":"service:x"}})";
  http::incoming html;
  html.status = 429;
  html.body = "<html>Too many requests</html>";
  line = cassette_entry(post, html, "http://dd.test");
  EXPECT_EQ(line["request"]["body"]["filter"]["query"], "service:x");
  EXPECT_EQ(line["response"]["body"], "<html>Too many requests</html>");
}

TEST(Recording, StateFromKubernetesAnswers) {
  state_recorder rec;
  rec.add(get("kubernetes", "http://k/apis/apps/v1/namespaces/shop/"
                            "deployments/checkout"),
          answer(200, json{{"apiVersion", "apps/v1"},
                           {"kind", "Deployment"},
                           {"metadata",
                            {{"name", "checkout"}, {"namespace", "shop"}}}}));
  auto pods = json{{"kind", "PodList"},
                   {"apiVersion", "v1"},
                   {"metadata", {{"resourceVersion", "9"}}},
                   {"items",
                    {{{"metadata", {{"name", "a"}, {"namespace", "shop"}}}},
                     {{"metadata", {{"name", "b"}, {"namespace", "shop"}}}}}}};
  auto url = "http://k/api/v1/namespaces/shop/pods";
  rec.add(get("kubernetes", url), answer(200, pods));
  rec.add(get("kubernetes", url), answer(200, pods)); // a second page query
  rec.add(get("kubernetes", "http://k/api/v1/namespaces/shop/secrets/x"),
          answer(404, json{{"kind", "Status"}, {"code", 404}}));
  rec.add(
    get("kubernetes", "http://k/api/v1/namespaces/shop/secrets/db"),
    answer(200, json{{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata", {{"name", "db"}, {"namespace", "shop"}}},
                     {"data", {{"password", "aHVudGVy"}}}}));
  EXPECT_EQ(rec.exchanges(), 5u);
  auto objects = rec.kubernetes_objects();
  ASSERT_EQ(objects.size(), 4u); // deployment, two pods, the secret
  auto find = [&](const std::string& kind, const std::string& name) {
    for (const auto& o : objects)
      if (o["kind"] == kind && o["metadata"]["name"] == name)
        return o;
    return json{};
  };
  EXPECT_EQ(find("Pod", "a")["apiVersion"], "v1");
  EXPECT_FALSE(find("Deployment", "checkout").is_null());
  EXPECT_EQ(find("Secret", "db")["data"]["password"], "<redacted>");
}

TEST(Recording, StateFromDatadogAnswers) {
  state_recorder rec;
  auto series = [](int64_t interval,
                   std::vector<std::pair<int64_t, double>> p) {
    json pointlist = json::array();
    for (auto [ts, v] : p)
      pointlist.push_back(json::array({ts * 1000.0, v}));
    return json{{"metric", "kubernetes.memory.working_set"},
                {"scope", "kube_container_name:app,kube_namespace:shop,"
                          "!env:dev"},
                {"tag_set", {"kube_container_name:app"}},
                {"interval", interval},
                {"unit", {{{"family", "bytes"}, {"name", "byte"}}, nullptr}},
                {"pointlist", pointlist}};
  };
  auto q = "http://dd/api/v1/query?from=0&to=9&query=x";
  // The sizing window (coarse), then the short window (fine) overlapping.
  rec.add(get("datadog", q),
          answer(200, json{{"series", {series(300, {{0, 1}, {300, 2}})}}}));
  rec.add(get("datadog", q),
          answer(200, json{{"series", {series(60, {{300, 5}, {360, 6}})}}}));
  auto metrics = rec.metrics()["series"];
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0]["metric"], "kubernetes.memory.working_set");
  EXPECT_EQ(metrics[0]["tags"],
            json::array({"kube_container_name:app", "kube_namespace:shop"}));
  EXPECT_EQ(metrics[0]["unit"], "byte");
  EXPECT_EQ(metrics[0]["interval"], 60);
  EXPECT_EQ(metrics[0]["points"], json::parse("[[0,1.0],[300,5.0],[360,6.0]]"));
  // Logs: one per id, oldest first (the reverse of the answers), masked.
  auto page = [](std::vector<std::pair<std::string, std::string>> items) {
    json data = json::array();
    for (auto& [id, ts] : items)
      data.push_back(
        json{{"id", id},
             {"type", "log"},
             {"attributes",
              {{"timestamp", ts}, {"message", "token=abcdef0123456789 bad"}}}});
    return json{{"data", data}};
  };
  auto search = get("datadog", "http://dd/api/v2/logs/events/search");
  search.method = "POST";
  rec.add(search, answer(200, page({{"a", "2026-01-01T00:00:01Z"},
                                    {"b", "2026-01-01T00:00:03Z"}})));
  rec.add(search, answer(200, page({{"b", "2026-01-01T00:00:03Z"},
                                    {"c", "2026-01-01T00:00:02Z"}})));
  auto logs = rec.logs();
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0]["id"], "c");
  EXPECT_EQ(logs[1]["id"], "b");
  EXPECT_EQ(logs[2]["id"], "a");
  EXPECT_EQ(logs[0]["attributes"]["message"], "token=<redacted> bad");
}

} // namespace
} // namespace kfix::context
