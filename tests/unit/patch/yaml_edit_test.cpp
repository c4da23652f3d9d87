#include "actors/patch/yaml_edit.hpp"
#include "tests/unit/patch/patch_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

// The text editor under the manifest edits, on its own: paths with
// sequence selectors, new trees, removal, null, inline block scalars,
// placement, quoting and verification.

namespace {

using namespace kfix;
using namespace kfix::patching;
using namespace kfix::patch_test;
using nlohmann::json;

yaml_edit set(yaml_path p, yaml_value v) {
  return {edit_op::set, std::move(p), std::move(v), 0, {}};
}

std::string edited(const std::string& text, const std::vector<yaml_edit>& edits,
                   size_t document = 0) {
  auto out = apply_yaml_edits(text, document, edits);
  EXPECT_TRUE(out) << render(out.error());
  return out ? *out : std::string{};
}

const std::string doc = "kind: Thing\n"                       // 1
                        "spec:\n"                             // 2
                        "  items:\n"                          // 3
                        "  - name: a\n"                       // 4
                        "    value: '1'\n"                    // 5
                        "  - name: b  # second\n"             // 6
                        "    value: x\n"                      // 7
                        "  ports: [{name: http, port: 80}]\n" // 8
                        "  block:\n"                          // 9
                        "    one: 1\n"                        // 10
                        "    two: 2\n";                       // 11

TEST(YamlEdit, ItemsAreSelectedAndAppendedAtTheirDashColumn) {
  auto items = keys_path({"spec", "items"});
  EXPECT_EQ(
    edited(doc, {set(with_keys(with_item(items, "name", "a"), {"value"}),
                     yaml_value::text("it's"))}),
    expected_text(doc, {replace(5, "    value: 'it''s'")}));
  EXPECT_EQ(
    edited(doc, {set(with_keys(with_item(items, "name", "c"), {"value"}),
                     yaml_value::quoted("3"))}),
    expected_text(doc, {insert_after(7, {"  - name: c", "    value: \"3\""})}));
  EXPECT_EQ(
    edited(doc, {set(with_item(keys_path({"spec", "ports"}), "name", "metrics"),
                     yaml_value::map({{"name", yaml_value::text("metrics")},
                                      {"port", yaml_value::number("9090")}}))}),
    expected_text(doc, {replace(8, "  ports: [{name: http, port: 80}, "
                                   "{name: metrics, port: 9090}]")}));
}

TEST(YamlEdit, RemovePrunesEmptiedMapsAndNullReplacesBlocks) {
  auto block = keys_path({"spec", "block"});
  EXPECT_EQ(
    edited(doc, {{edit_op::remove, with_keys(block, {"one"}), {}, 1, {}},
                 {edit_op::remove, with_keys(block, {"two"}), {}, 1, {}}}),
    expected_text(doc, {erase(9, 11)}));
  EXPECT_EQ(edited(doc, {{edit_op::set_null, block, {}, 0, {}}}),
            expected_text(doc, {replace(9, "  block: null"), erase(10, 11)}));
  EXPECT_EQ(
    edited(doc, {{edit_op::set_null, with_keys(block, {"two"}), {}, 0, {}}}),
    expected_text(doc, {replace(11, "    two: null")}));
  // Removing what is not there changes nothing.
  EXPECT_EQ(
    edited(doc, {{edit_op::remove, with_keys(block, {"three"}), {}, 2, {}}}),
    doc);
}

TEST(YamlEdit, PlacementHints) {
  auto e
    = set(with_keys(keys_path({"spec"}), {"first"}), yaml_value::number("0"));
  e.place_before = {"items"};
  EXPECT_EQ(edited(doc, {e}),
            expected_text(doc, {insert_after(2, {"  first: 0"})}));
  e.place_before.clear();
  e.place_after = {"items"};
  EXPECT_EQ(edited(doc, {e}),
            expected_text(doc, {insert_after(7, {"  first: 0"})}));
}

TEST(YamlEdit, InlineBlockScalarPatchWithCrlf) {
  std::string k = "patches:\r\n"
                  "  - patch: |-\r\n"
                  "      kind: Deployment\r\n"
                  "      spec:\r\n"
                  "        replicas: 2\r\n"
                  "    target:\r\n"
                  "      kind: Deployment\r\n";
  auto out = apply_embedded_yaml_edits(
    k, 0, with_keys(with_index(keys_path({"patches"}), 0), {"patch"}),
    {set(keys_path({"spec", "replicas"}), yaml_value::number("5")),
     set(keys_path({"spec", "paused"}), yaml_value::text("false"))});
  ASSERT_TRUE(out) << render(out.error());
  EXPECT_EQ(*out, "patches:\r\n"
                  "  - patch: |-\r\n"
                  "      kind: Deployment\r\n"
                  "      spec:\r\n"
                  "        replicas: 5\r\n"
                  "        paused: \"false\"\r\n"
                  "    target:\r\n"
                  "      kind: Deployment\r\n");
  auto quoted = apply_embedded_yaml_edits(
    "patches:\n  - patch: \"kind: Deployment\"\n", 0,
    with_keys(with_index(keys_path({"patches"}), 0), {"patch"}),
    {set(keys_path({"spec"}), yaml_value::text("x"))});
  ASSERT_FALSE(quoted);
  EXPECT_NE(render(quoted.error()).find("is not a literal block scalar"),
            std::string::npos);
}

TEST(YamlEdit, UnsupportedLayoutsAndVerification) {
  auto multi_line = apply_yaml_edits(
    "spec:\n  cmd: |\n    run\n", 0,
    {set(keys_path({"spec", "cmd"}), yaml_value::text("stop"))});
  ASSERT_FALSE(multi_line);
  EXPECT_EQ(code_of(multi_line.error()), ec::unspecified);
  EXPECT_NE(render(multi_line.error()).find("not a plain or quoted one-line"),
            std::string::npos)
    << render(multi_line.error());
  auto aliased
    = apply_yaml_edits("a: &x {v: 1}\nb: *x\n", 0,
                       {set(keys_path({"a", "v"}), yaml_value::number("2"))});
  ASSERT_FALSE(aliased);
  EXPECT_NE(render(aliased.error()).find("verification"), std::string::npos)
    << render(aliased.error());
  auto out_of_range = apply_yaml_edits(
    "a: 1\n", 1, {set(keys_path({"a"}), yaml_value::number("2"))});
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(code_of(out_of_range.error()), ec::invalid_input);
}

TEST(YamlEdit, Quoting) {
  for (const char* plain : {"info", "registry.example.com/app:1.4.2", "1.6.2",
                            "0.103.0", "/var/spool", "a=b c", "x#y"})
    EXPECT_FALSE(needs_quotes(plain)) << plain;
  for (const char* quoted :
       {"",        "20",     "1.20",   "true",
        "No",      "null",   "~",      "2026-03-14T10:02:11Z",
        "a: b",    "x #y",   "[a]",    "{a}",
        "a,b",     " lead",  "trail ", "1:20",
        "0x1F",    "1e3",    "'q'",    "*alias",
        "&anchor", "!tag",   "@x",     "%x",
        "`x",      "-Xms2g", ".5"})
    EXPECT_TRUE(needs_quotes(quoted)) << quoted;
}

TEST(YamlEdit, TypedJson) {
  auto node = YAML::Load("{a: 8080, b: \"8080\", c: true, d: 1.5, e: 0755, "
                         "f: ~, g: 1.6.2}");
  EXPECT_EQ(yaml_to_json(node, true),
            json::parse(R"({"a":8080,"b":"8080","c":true,"d":1.5,"e":493,
                            "f":null,"g":"1.6.2"})"));
  EXPECT_EQ(yaml_to_json(node)["a"], "8080");
  EXPECT_EQ(to_json(yaml_value::number("3"), true), 3);
  EXPECT_EQ(to_json(yaml_value::quoted("3"), true), "3");
}

TEST(YamlEdit, CopiedNodesKeepTheirTokens) {
  std::string text = "h: {path: \"/x\", port: 8080}\nl:\n  - a\n  - 'b'\n";
  auto docs = load_yaml_documents(text);
  ASSERT_TRUE(docs);
  auto h = copy_node(text, (*docs)[0]["h"]);
  ASSERT_TRUE(h) << render(h.error());
  EXPECT_TRUE(h->flow);
  EXPECT_EQ(h->entries.at(0).second.raw, "\"/x\"");
  EXPECT_EQ(to_json(*h, true), json::parse(R"({"path":"/x","port":8080})"));
  auto l = copy_node(text, (*docs)[0]["l"]);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->items.at(1).raw, "'b'");
  EXPECT_EQ(
    to_string(with_keys(
      with_item(keys_path({"spec", "containers"}), "name", "app"), {"image"})),
    "spec.containers[name=app].image");
}

} // namespace
