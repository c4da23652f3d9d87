#include "config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

using namespace kfix;
namespace fs = std::filesystem;

class ConfigFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path()
           / ("kfix-config-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
  }
  std::string write(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream{path} << text;
    return path.string();
  }
  fs::path dir_;
};

TEST_F(ConfigFile, LoadsValuesOverDefaults) {
  auto path = write("kfix.yaml", R"(
server:
  listen: 0.0.0.0:9090
  threads: 4
  auth_header: X-Datadog-Secret
  queue_capacity: 500
datadog:
  site: eu
  sizing_window_hours: 48
gitlab:
  url: https://gitlab.example.com
  project: shop/deploy
  labels: [k-fix, auto]
sizing:
  oom_min_bump: 200Mi
)");
  auto cfg = load_config_file(path);
  ASSERT_TRUE(cfg) << render(cfg.error());
  EXPECT_EQ(cfg->server.listen, "0.0.0.0:9090");
  EXPECT_EQ(cfg->server.threads, 4);
  EXPECT_EQ(cfg->server.auth_header, "X-Datadog-Secret");
  EXPECT_EQ(cfg->server.queue_capacity, 500);
  EXPECT_EQ(cfg->datadog.site, "eu");
  EXPECT_EQ(cfg->datadog.sizing_window.count(), 48);
  EXPECT_EQ(cfg->gitlab.project, "shop/deploy");
  EXPECT_EQ(cfg->gitlab.labels, (std::vector<std::string>{"k-fix", "auto"}));
  EXPECT_EQ(cfg->sizing.oom_min_bump_bytes, 200LL << 20);
  // Untouched values keep their defaults.
  EXPECT_EQ(cfg->state_dir, "state");
  EXPECT_EQ(cfg->kubernetes.timeout.count(), 5000);
}

TEST_F(ConfigFile, ErrorsNameTheFileAndField) {
  struct bad {
    const char* text;
    const char* message;
  };
  for (auto c : std::vector<bad>{
         {"server:\n  threads: many\n", "server.threads: has the wrong type"},
         {"datadog:\n  sight: eu\n", "datadog.sight: unknown key"},
         {"gitlab:\n  token: x\n", "gitlab.token: secrets are never read"},
         {"database_url: postgres://u:p@h/db\n",
          "database_url: secrets are never read"},
         {"sizing:\n  oom_min_bump: 100m\n",
          "sizing.oom_min_bump: not a memory quantity"},
         {"server: [1, 2\n", "line"},
         {"context_deadline_ms: -5\n", "context_deadline_ms: must be positive"},
       }) {
    auto path = write("bad.yaml", c.text);
    auto cfg = load_config_file(path);
    ASSERT_FALSE(cfg) << c.text;
    auto text = render(cfg.error());
    EXPECT_NE(text.find(path), std::string::npos) << text;
    EXPECT_NE(text.find(c.message), std::string::npos)
      << text << " should contain " << c.message;
  }
}

TEST_F(ConfigFile, MissingFileIsAnError) {
  auto cfg = load_config_file((dir_ / "absent.yaml").string());
  ASSERT_FALSE(cfg);
  EXPECT_NE(render(cfg.error()).find("cannot be read"), std::string::npos);
}

TEST_F(ConfigFile, PolicyLoadsAndProdCanNeverAutoMerge) {
  auto ok = write("policy.yaml", R"(
memory:
  max_increase_factor: 1.5
  max_limit: 8Gi
  namespace_max_limit: {shop: 4Gi}
protected_namespaces: [kube-system, vault]
auto_merge_envs: [dev]
)");
  auto policy = load_policy_file(ok);
  ASSERT_TRUE(policy) << render(policy.error());
  EXPECT_DOUBLE_EQ(policy->max_memory_increase_factor, 1.5);
  EXPECT_EQ(policy->memory_cap_for("shop"), 4LL << 30);
  EXPECT_EQ(policy->memory_cap_for("other"), 8LL << 30);
  EXPECT_EQ(policy->protected_namespaces.size(), 2u);
  auto prod = write("prod.yaml", "auto_merge_envs: [dev, Production]\n");
  auto refused = load_policy_file(prod);
  ASSERT_FALSE(refused);
  EXPECT_NE(render(refused.error()).find("Production may never auto-merge"),
            std::string::npos)
    << render(refused.error());
}

TEST_F(ConfigFile, ShippedFilesLoad) {
  auto cfg = load_config_file(std::string{KFIX_SOURCE_DIR}
                              + "/config/kfix.example.yaml");
  ASSERT_TRUE(cfg) << render(cfg.error());
  EXPECT_FALSE(cfg->validate()) << render(cfg->validate());
  auto policy
    = load_policy_file(std::string{KFIX_SOURCE_DIR} + "/config/policy.yaml");
  ASSERT_TRUE(policy) << render(policy.error());
  EXPECT_EQ(policy->memory_cap_for("kube-system"), 2LL << 30);
}

TEST_F(ConfigFile, SecretsComeFromEnvDotenvAndMountedFiles) {
  auto dotenv = write(".env", "# local run\nKFIX_GITLAB_TOKEN=\"from-dotenv\"\n"
                              "export KFIX_DATADOG_API_KEY=dd-dotenv\n");
  fs::create_directories(dir_ / "mounted");
  std::ofstream{dir_ / "mounted" / "datadog-app-key"} << "dd-app-mounted\n";
  std::ofstream{dir_ / "mounted" / "datadog-api-key"} << "dd-api-mounted\n";
  ::setenv("KFIX_WEBHOOK_TOKEN", "from-env", 1);
  ::setenv("KFIX_GITLAB_TOKEN", "env-wins", 1);
  auto s = load_secrets(dotenv, (dir_ / "mounted").string());
  ::unsetenv("KFIX_WEBHOOK_TOKEN");
  ::unsetenv("KFIX_GITLAB_TOKEN");
  EXPECT_EQ(s.webhook_token, "from-env");
  EXPECT_EQ(s.gitlab_token, "env-wins");
  EXPECT_EQ(s.datadog_api_key, "dd-dotenv"); // .env before mounted files
  EXPECT_EQ(s.datadog_app_key, "dd-app-mounted");
  EXPECT_TRUE(s.slack_webhook_url.empty());
}

TEST(AgentConfig, ValidateRejectsBadValues) {
  agent_config cfg;
  EXPECT_FALSE(cfg.validate());
  cfg.server.listen = "8080";
  EXPECT_TRUE(cfg.validate());
  cfg = agent_config{};
  cfg.datadog.site = "mars";
  EXPECT_TRUE(cfg.validate());
  cfg = agent_config{};
  cfg.gitlab.url = "https://gitlab.example.com";
  auto err = cfg.validate();
  ASSERT_TRUE(err);
  EXPECT_NE(render(err).find("KFIX_GITLAB_TOKEN"), std::string::npos);
}

} // namespace
