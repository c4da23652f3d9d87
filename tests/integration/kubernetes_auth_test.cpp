// How K-Fix authenticates to the Kubernetes API: api_url + token file
// (rotation), kubeconfig variants (token, CA and client certificate data,
// exec plugins), in-cluster; against the simulator requiring a token.

#include "actors/common/http_client.hpp"
#include "actors/context/k8s_source.hpp"
#include "actors/system/endpoints.hpp"
#include "tests/support/sim_world.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace kfix {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class KubernetesAuth : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    world_ = test::rich_world(id);
  }

  static void TearDownTestSuite() {
    world_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(world_->ok());
    dir_
      = fs::temp_directory_path()
        / ("kfix-auth-" + std::to_string(::getpid()) + "-"
           + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    world_->host().kubernetes(id)->require_token("");
  }

  void TearDown() override {
    fs::remove_all(dir_);
  }

  void write(const fs::path& p, const std::string& text, bool exec = false) {
    std::ofstream{p} << text;
    if (exec)
      ::chmod(p.c_str(), 0755);
  }

  /// The workload report when fetching with the resolver's endpoints.
  source_report fetch_with(agent_resolver& resolver) {
    enriched_alert alert;
    alert.workload = {"Deployment", "web", "api"};
    auto ep = resolver.resolve(alert);
    EXPECT_TRUE(ep) << (ep ? "" : render(ep.error()));
    if (!ep)
      return {};
    auto client = http::make_curl_client();
    auto part = context::fetch_kubernetes(
      *client, {(*ep)->kubernetes_url, (*ep)->kubernetes_headers, 3000ms},
      test::rich_scope(), std::chrono::steady_clock::now() + 5s);
    return part.reports.at(0);
  }

  /// A configuration with only the Datadog side set (not simulated).
  static agent_config base_config() {
    agent_config cfg;
    cfg.secret.datadog_api_key = "k";
    cfg.secret.datadog_app_key = "a";
    return cfg;
  }

  static constexpr const char* id = "auth-api";
  static std::unique_ptr<test::sim_world> world_;
  fs::path dir_;
};

std::unique_ptr<test::sim_world> KubernetesAuth::world_;

TEST_F(KubernetesAuth, TokenFileIsReReadWhenItRotates) {
  auto token_file = dir_ / "token";
  write(token_file, "first-token\n");
  auto cfg = base_config();
  cfg.kubernetes.api_url = world_->kubernetes_url(id);
  cfg.kubernetes.token_file = token_file.string();
  auto access = resolve_kubernetes_access(cfg);
  ASSERT_TRUE(access) << render(access.error());
  EXPECT_EQ(access->description, "kubernetes.api_url");
  agent_resolver resolver{std::make_shared<const agent_config>(cfg), nullptr,
                          *access};
  world_->host().kubernetes(id)->require_token("first-token");
  EXPECT_EQ(fetch_with(resolver).status, source_status::ok);
  // The kubelet rotates the projected token.
  write(token_file, "second-token-after-rotation\n");
  world_->host().kubernetes(id)->require_token("second-token-after-rotation");
  EXPECT_EQ(fetch_with(resolver).status, source_status::ok);
  // A stale token is a 401, reported as such.
  world_->host().kubernetes(id)->require_token("third");
  auto r = fetch_with(resolver);
  EXPECT_EQ(r.status, source_status::error);
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(r.reason, "HTTP 401: Unauthorized");
  // A missing file is a clear error.
  cfg.kubernetes.token_file = (dir_ / "nope").string();
  auto missing = resolve_kubernetes_access(cfg);
  ASSERT_FALSE(missing);
  EXPECT_NE(render(missing.error()).find("nope"), std::string::npos);
}

TEST_F(KubernetesAuth, KubeconfigWithTokenAndData) {
  auto kubeconfig = dir_ / "config";
  write(kubeconfig, "apiVersion: v1\nkind: Config\ncurrent-context: sim\n"
                    "clusters:\n- name: sim\n  cluster:\n    server: "
                      + world_->kubernetes_url(id)
                      + "\n    certificate-authority-data: "
                        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
                        "users:\n- name: u\n  user:\n    token: kc-token\n"
                        "    client-certificate-data: Q0VSVA==\n"
                        "    client-key-data: S0VZ\n"
                        "contexts:\n- name: sim\n  context: {cluster: sim, "
                        "user: u, namespace: web}\n");
  auto cfg = base_config();
  cfg.kubernetes.kubeconfig = kubeconfig.string();
  auto access = resolve_kubernetes_access(cfg);
  ASSERT_TRUE(access) << render(access.error());
  EXPECT_EQ(access->base_url, world_->kubernetes_url(id));
  EXPECT_EQ(access->tls.ca_pem, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(access->tls.client_cert_pem, "CERT");
  EXPECT_EQ(access->tls.client_key_pem, "KEY");
  EXPECT_EQ(access->default_namespace, "web");
  EXPECT_NE(access->description.find("context sim"), std::string::npos);
  // The client certificate is for TLS; over plain HTTP the token is what
  // the simulator checks.
  access->tls = {};
  agent_resolver resolver{std::make_shared<const agent_config>(cfg), nullptr,
                          *access};
  world_->host().kubernetes(id)->require_token("kc-token");
  EXPECT_EQ(fetch_with(resolver).status, source_status::ok);
  // KFIX_KUBERNETES_TOKEN overrides the kubeconfig's token.
  cfg.secret.kubernetes_token = "override";
  auto overridden = resolve_kubernetes_access(cfg);
  ASSERT_TRUE(overridden);
  EXPECT_EQ(*overridden->token->token(), "override");
  // Bad base64 names the field.
  write(kubeconfig, "current-context: x\nclusters: [{name: c, cluster: "
                    "{server: 'http://a', certificate-authority-data: "
                    "'###'}}]\ncontexts: [{name: x, context: {cluster: c}}]\n");
  auto bad = resolve_kubernetes_access(cfg);
  ASSERT_FALSE(bad);
  EXPECT_NE(render(bad.error()).find("certificate-authority-data: not base64"),
            std::string::npos)
    << render(bad.error());
}

TEST_F(KubernetesAuth, ExecPluginTokensAreUsedAndRefreshed) {
  auto plugin = dir_ / "get-token";
  auto calls = dir_ / "calls";
  // Prints an ExecCredential that expires at once, so every use re-runs it.
  write(plugin,
        "#!/bin/sh\n"
        "echo run >> '"
          + calls.string()
          + "'\n"
            "case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) ;; "
            "*) exit 9;; esac\n"
            "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",'\n"
            "echo '\"kind\":\"ExecCredential\",\"status\":{\"token\":\"'$1'\","
            "\"expirationTimestamp\":\"2020-01-01T00:00:00Z\"}}'\n",
        true);
  auto kubeconfig = dir_ / "config";
  write(kubeconfig, "current-context: sim\nclusters: [{name: sim, cluster: "
                    "{server: '"
                      + world_->kubernetes_url(id)
                      + "'}}]\nusers:\n- name: u\n  user:\n    exec:\n"
                        "      apiVersion: client.authentication.k8s.io/v1\n"
                        "      command: "
                      + plugin.string()
                      + "\n      args: [exec-token]\n"
                        "      interactiveMode: Never\n"
                        "contexts: [{name: sim, context: {cluster: sim, user: "
                        "u}}]\n");
  auto cfg = base_config();
  cfg.kubernetes.kubeconfig = kubeconfig.string();
  auto access = resolve_kubernetes_access(cfg);
  ASSERT_TRUE(access) << render(access.error());
  agent_resolver resolver{std::make_shared<const agent_config>(cfg), nullptr,
                          *access};
  world_->host().kubernetes(id)->require_token("exec-token");
  EXPECT_EQ(fetch_with(resolver).status, source_status::ok);
  EXPECT_EQ(fetch_with(resolver).status, source_status::ok);
  std::ifstream in{calls};
  std::string line;
  int runs = 0;
  while (std::getline(in, line))
    ++runs;
  EXPECT_EQ(runs, 3); // at start, then once per (expired) use
}

TEST_F(KubernetesAuth, ExecPluginFailuresAreClear) {
  auto plugin = dir_ / "broken";
  write(plugin,
        "#!/bin/sh\necho 'no credentials for profile prod' >&2\nexit 3\n",
        true);
  kube_exec_config exec;
  exec.command = plugin.string();
  auto r = run_exec_plugin(exec, "https://x");
  ASSERT_FALSE(r);
  EXPECT_NE(render(r.error()).find("exit code 3: no credentials for profile "
                                   "prod"),
            std::string::npos)
    << render(r.error());
  exec.command = (dir_ / "does-not-exist").string();
  r = run_exec_plugin(exec, "https://x");
  ASSERT_FALSE(r);
  EXPECT_NE(render(r.error()).find("cannot run it"), std::string::npos)
    << render(r.error());
  auto garbage = dir_ / "garbage";
  write(garbage, "#!/bin/sh\necho '{\"kind\":\"Pod\"}'\n", true);
  exec.command = garbage.string();
  r = run_exec_plugin(exec, "https://x");
  ASSERT_FALSE(r);
  EXPECT_NE(render(r.error()).find("no ExecCredential"), std::string::npos);
  auto slow = dir_ / "slow";
  write(slow, "#!/bin/sh\nexec sleep 10\n", true);
  exec.command = slow.string();
  auto start = std::chrono::steady_clock::now();
  r = run_exec_plugin(exec, "https://x", 300ms);
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(render(r.error()).find("no answer within 300 ms"),
            std::string::npos);
}

TEST_F(KubernetesAuth, InCluster) {
  auto sa = dir_ / "serviceaccount";
  fs::create_directories(sa);
  write(sa / "token", "sa-token\n");
  write(sa / "namespace", "k-fix");
  write(sa / "ca.crt", "-----BEGIN CERTIFICATE-----\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto cfg = base_config();
  auto access = resolve_kubernetes_access(cfg, sa.string());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(access) << render(access.error());
  EXPECT_EQ(access->base_url, "https://10.96.0.1:443");
  EXPECT_EQ(access->tls.ca_file, (sa / "ca.crt").string());
  EXPECT_EQ(access->default_namespace, "k-fix");
  EXPECT_EQ(*access->token->token(), "sa-token");
  EXPECT_EQ(access->description, "in-cluster (service account)");
  // Outside a pod and without configuration: a clear error.
  auto none = resolve_kubernetes_access(cfg, sa.string());
  ASSERT_FALSE(none);
  EXPECT_NE(render(none.error()).find("no Kubernetes API configured"),
            std::string::npos);
}

} // namespace
} // namespace kfix
