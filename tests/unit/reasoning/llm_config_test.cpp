// The `llm` section of the agent config and KFIX_LLM_API_KEY.

#include "config/config.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

using namespace kfix;
namespace fs = std::filesystem;

class LlmConfig : public ::testing::Test {
protected:
  sim::test::temp_dir dir;

  std::string write(const std::string& name, const std::string& text) {
    sim::test::write_file(dir.path() / name, text);
    return (dir.path() / name).string();
  }
};

TEST_F(LlmConfig, LoadsTheSection) {
  auto path = write("kfix.yaml", R"(
reasoning:
  strategy: hybrid
llm:
  provider: anthropic
  base_url: https://api.anthropic.com/v1
  model: claude-sonnet-4-5
  timeout_ms: 15000
  max_attempts: 3
  max_output_tokens: 4000
  temperature: 0
  prompt_file: config/prompts/plan-v1.txt
  prompt_token_budget: 20000
  price_input_per_mtok: 3
  price_output_per_mtok: 15
)");
  auto cfg = load_config_file(path);
  ASSERT_TRUE(cfg) << render(cfg.error());
  EXPECT_EQ(cfg->reasoning.strategy, "hybrid");
  EXPECT_EQ(cfg->llm.provider, "anthropic");
  EXPECT_EQ(cfg->llm.base_url, "https://api.anthropic.com/v1");
  EXPECT_EQ(cfg->llm.model, "claude-sonnet-4-5");
  EXPECT_EQ(cfg->llm.timeout.count(), 15000);
  EXPECT_EQ(cfg->llm.max_attempts, 3);
  EXPECT_EQ(cfg->llm.max_output_tokens, 4000);
  EXPECT_DOUBLE_EQ(cfg->llm.temperature, 0);
  EXPECT_EQ(cfg->llm.prompt_token_budget, 20000);
  EXPECT_DOUBLE_EQ(cfg->llm.price_output_per_mtok, 15);
  EXPECT_FALSE(cfg->llm.eval_replay);
}

TEST_F(LlmConfig, ErrorsNameTheFileAndField) {
  struct bad {
    const char* text;
    const char* message;
  };
  for (auto c : std::vector<bad>{
         {"llm:\n  provider: gemini\n", "llm.provider: must be openai or "
                                        "anthropic"},
         {"llm:\n  api_key: sk-123\n", "llm.api_key: secrets are never read"},
         {"llm:\n  base_url: x\n  model: m\n", "llm.base_url: must start"},
         {"llm:\n  base_url: http://localhost:11434/v1\n",
          "llm.model: must be set"},
         {"llm:\n  temperature: 3\n", "llm.temperature: must be within"},
         {"llm:\n  max_output_tokens: lots\n",
          "llm.max_output_tokens: has the wrong type"},
         {"llm:\n  timeout_ms: 0\n", "llm.timeout_ms: must be positive"},
         {"llm:\n  prompt_token_budget: 10\n",
          "llm.prompt_token_budget: must be"},
         {"llm:\n  price_output_per_mtok: -1\n",
          "llm.price_output_per_mtok: must not be negative"},
         {"llm:\n  modle: x\n", "llm.modle: unknown key"},
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

TEST_F(LlmConfig, KeyFromEnvFileVariableOrMount) {
  auto none = write(".env", "");
  ::setenv("KFIX_LLM_API_KEY", "sk-env", 1);
  EXPECT_EQ(load_secrets(none, dir.path().string()).llm_api_key, "sk-env");
  ::unsetenv("KFIX_LLM_API_KEY");
  auto key_file = write("key.txt", "sk-file\n");
  ::setenv("KFIX_LLM_API_KEY_FILE", key_file.c_str(), 1);
  EXPECT_EQ(load_secrets(none, dir.path().string()).llm_api_key, "sk-file");
  ::unsetenv("KFIX_LLM_API_KEY_FILE");
  fs::create_directories(dir.path() / "mounted");
  std::ofstream{dir.path() / "mounted" / "llm-api-key"} << "sk-mounted\n";
  EXPECT_EQ(load_secrets(none, (dir.path() / "mounted").string()).llm_api_key,
            "sk-mounted");
}

TEST(LlmStrategies, NeedAnEndpointOutsideTheEval) {
  const auto& names = reasoning_strategies();
  for (const char* s : {"rules", "llm", "hybrid"})
    EXPECT_NE(std::find(names.begin(), names.end(), s), names.end()) << s;
  EXPECT_TRUE(uses_llm("hybrid"));
  EXPECT_FALSE(uses_llm("rules"));
  agent_config cfg;
  cfg.reasoning.strategy = "llm";
  cfg.llm.prompt_file
    = std::string{KFIX_SOURCE_DIR} + "/config/prompts/plan-v1.txt";
  auto err = cfg.validate();
  ASSERT_TRUE(err);
  EXPECT_NE(render(err).find("needs an LLM endpoint"), std::string::npos);
  cfg.llm.eval_replay = true;
  EXPECT_FALSE(cfg.validate()) << render(cfg.validate());
  cfg.llm.eval_replay = false;
  cfg.llm.base_url = "http://localhost:11434/v1";
  cfg.llm.model = "llama3.1";
  EXPECT_FALSE(cfg.validate()) << render(cfg.validate());
  // The default prompt is found from any working directory.
  EXPECT_TRUE(fs::is_regular_file(llm_config{}.prompt_path()));
  cfg.llm.prompt_file = "/nonexistent/prompt.txt";
  ASSERT_TRUE(cfg.validate());
  EXPECT_NE(render(cfg.validate()).find("llm.prompt_file"), std::string::npos);
}

} // namespace
