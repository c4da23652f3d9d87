#include "actors/patch/kustomize.hpp"
#include "actors/patch/patch_synthesis.hpp"
#include "eval/sim/incident.hpp"
#include "eval/sim/k8s_simulator.hpp"
#include "tests/unit/patch/patch_test_support.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

// Patch synthesis against the eval dataset: for every `fix` incident with
// GitOps files, each accept entry whose values are determinate becomes a
// one-plan decision (a rollback to a revision is spelled out from the
// revision's template, as the reasoning does). The patch must apply, every
// changed file must parse, the diff must only touch the plan's lines, the
// rendered GitOps object must hold the plan's values, and the dry-run
// patches, sent to the simulated API server, must give the live objects the
// same values.

namespace {

using namespace kfix;
using nlohmann::json;
namespace fs = std::filesystem;

const fs::path eval_dir = fs::path{KFIX_SOURCE_DIR} / "datasets/eval";

/// A value inside an accept entry's band: a scalar itself, a range's lower
/// bound (else its upper), a list's first member.
std::optional<std::string> determinate(const json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number())
    return v.dump();
  if (v.is_array() && !v.empty())
    return determinate(v.front());
  if (v.is_object()) {
    if (v.contains("min"))
      return determinate(v["min"]);
    if (v.contains("max"))
      return determinate(v["max"]);
  }
  return std::nullopt;
}

/// Scalars as strings, as the GitOps render holds them.
json strings(const json& j) {
  if (j.is_object()) {
    auto out = json::object();
    for (const auto& [k, v] : j.items())
      out[k] = strings(v);
    return out;
  }
  if (j.is_array()) {
    auto out = json::array();
    for (const auto& v : j)
      out.push_back(strings(v));
    return out;
  }
  if (j.is_null() || j.is_string())
    return j;
  return j.dump();
}

const json* find_object(const sim::cluster_state& state,
                        const std::string& kind, const std::string& ns,
                        const std::string& name) {
  for (const auto& o : state.objects)
    if (o.value("kind", "") == kind
        && o["metadata"].value("namespace", "") == ns
        && o["metadata"].value("name", "") == name)
      return &o;
  return nullptr;
}

/// The pod template of revision `revision` of the workload: its ReplicaSet
/// or ControllerRevision.
const json* revision_template(const sim::cluster_state& state,
                              const workload_ref& w,
                              const std::string& revision) {
  for (const auto& o : state.objects) {
    const auto& meta = o["metadata"];
    if (meta.value("namespace", "") != w.ns)
      continue;
    auto owned = false;
    for (const auto& ref : meta.value("ownerReferences", json::array()))
      owned
        |= ref.value("kind", "") == w.kind && ref.value("name", "") == w.name;
    if (!owned)
      continue;
    if (o.value("kind", "") == "ReplicaSet"
        && meta.value("annotations", json::object())
               .value("deployment.kubernetes.io/revision", "")
             == revision)
      return &o["spec"]["template"];
    if (o.value("kind", "") == "ControllerRevision" && o.contains("revision")
        && o["revision"].dump() == revision)
      return &o["data"]["spec"]["template"];
  }
  return nullptr;
}

const json* container_of(const json& pod_template, const std::string& name) {
  for (const auto& c : pod_template["spec"]["containers"])
    if (c.value("name", "") == name)
      return &c;
  return nullptr;
}

/// The actions that restore revision `revision`: a rollback per container
/// whose image differs, set_env for env values and set_resources for
/// resources the revision had otherwise.
std::vector<action> rollback_actions(const sim::cluster_state& state,
                                     const json& live, const workload_ref& w,
                                     const std::string& revision) {
  std::vector<action> out;
  const auto* old = revision_template(state, w, revision);
  if (old == nullptr)
    return out;
  for (const auto& c : (*old)["spec"]["containers"]) {
    auto name = c.value("name", "");
    const auto* now = container_of(live["spec"]["template"], name);
    if (now == nullptr)
      continue;
    if (c.value("image", "") != now->value("image", ""))
      out.push_back(patch_test::act(
        action_type::rollback, name,
        {{"to_revision", revision}, {"image", c.value("image", "")}}));
    for (const auto& e : c.value("env", json::array())) {
      if (!e.contains("value"))
        continue;
      auto same = false;
      for (const auto& n : now->value("env", json::array()))
        same |= n.value("name", "") == e.value("name", "")
                && n.value("value", json{}) == e["value"];
      if (!same)
        out.push_back(patch_test::act(
          action_type::set_env, name,
          {{"name", e.value("name", "")}, {"value", e.value("value", "")}}));
    }
    std::map<std::string, std::string> resources;
    for (const auto& [field, suffix] :
         {std::pair{"limits", "limit"}, std::pair{"requests", "request"}})
      for (const auto& [res, param] :
           {std::pair{"cpu", "cpu"}, std::pair{"memory", "memory"},
            std::pair{"ephemeral-storage", "ephemeral_storage"}}) {
        auto get = [&](const json& x) {
          const auto r
            = x.value("resources", json::object()).value(field, json::object());
          return r.contains(res) ? strings(r[res]).get<std::string>()
                                 : std::string{"unset"};
        };
        if (get(c) != get(*now))
          resources[std::string{param} + "_" + suffix] = get(c);
      }
    if (!resources.empty())
      out.push_back(
        patch_test::act(action_type::set_resources, name, resources));
  }
  return out;
}

/// The plan of one accept entry, or nothing when it is not concrete.
std::optional<plan> plan_of(const json& entry, const sim::cluster_state& state,
                            const json& live, const workload_ref& w) {
  auto type = parse_action_type(entry.value("action", ""));
  if (!type || *type == action_type::escalate)
    return std::nullopt;
  plan p;
  p.id = "p1";
  if (*type == action_type::rollback && !entry.contains("image")) {
    p.actions
      = rollback_actions(state, live, w, *determinate(entry["to_revision"]));
    return p.actions.empty() ? std::nullopt : std::optional{p};
  }
  action a;
  a.type = *type;
  a.container = entry.value("container", "");
  for (const auto& [key, value] : entry.items()) {
    if (key == "action" || key == "container" || key == "why")
      continue;
    auto v = determinate(value);
    if (!v)
      return std::nullopt;
    a.params[key] = *v;
  }
  p.actions.push_back(std::move(a));
  return p;
}

/// The JSON at a dotted path with `[name=x]` selectors resolved.
const json* at(const json& doc, const patching::yaml_path& p) {
  return patching::find_in_json(doc, p);
}

/// The rendered GitOps object of `where` in `files`.
json rendered(const std::vector<repo_file>& files,
              const patching::manifest_location& where,
              const std::string& env) {
  auto s = patching::resolve_sources(files, where.path, where.document, env);
  EXPECT_TRUE(s) << render(s.error());
  if (!s)
    return {};
  auto r = patching::render_object(*s);
  EXPECT_TRUE(r) << render(r.error());
  return r ? *r : json{};
}

struct tally {
  size_t incidents = 0;
  size_t plans = 0;
  size_t overlay_plans = 0;
  size_t hpa_plans = 0;
  std::map<std::string, size_t> by_action;
};

/// Synthesises `p` for the incident and checks everything the header says.
void check_plan(const sim::recorded_incident& inc,
                const sim::cluster_state& state, const plan& p, tally& t) {
  SCOPED_TRACE(p.actions.front().params.empty()
                 ? std::string{to_string(p.actions.front().type)}
                 : std::string{to_string(p.actions.front().type)} + " "
                     + p.actions.front().params.begin()->first);
  patching::synthesis_options options{inc.env, inc.received_at};
  auto made
    = patching::synthesize_patch(p, inc.workload, inc.gitops_files, options);
  ASSERT_TRUE(made) << render(made.error());
  ++t.plans;
  for (const auto& a : p.actions)
    ++t.by_action[std::string{to_string(a.type)}];
  ASSERT_FALSE(made->files.empty());
  auto after = inc.gitops_files;
  for (const auto& f : made->files) {
    EXPECT_NO_THROW(YAML::LoadAll(f.after)) << f.path;
    for (auto& x : after)
      if (x.path == f.path)
        x.content = f.after;
  }
  // Minimal diff: every removed line is one the plan replaces or drops.
  auto changes = patching::plan_changes(p, inc.workload.kind, options);
  ASSERT_TRUE(changes) << render(changes.error());
  size_t removed = 0;
  size_t added = 0;
  std::istringstream diff{made->diff};
  for (std::string line; std::getline(diff, line);) {
    if (line.rfind("---", 0) == 0 || line.rfind("+++", 0) == 0)
      continue;
    if (!line.empty() && line.front() == '-') {
      ++removed;
      std::vector<std::string> keys{"newTag", "averageUtilization",
                                    "targetCPUUtilizationPercentage"};
      for (const auto& c : *changes) {
        for (const auto& s : c.edit.path)
          keys.push_back(s.key);
        for (const auto& e : c.edit.value.entries)
          keys.push_back(e.first);
      }
      auto known = std::any_of(keys.begin(), keys.end(), [&](const auto& k) {
        return !k.empty() && line.find(k + ":") != std::string::npos;
      });
      EXPECT_TRUE(known) << "removed a line the plan does not touch: " << line;
    } else if (!line.empty() && line.front() == '+') {
      ++added;
    }
  }
  EXPECT_LE(removed, 3 * changes->size()) << made->diff;
  EXPECT_LE(added, 8 * changes->size()) << made->diff;
  // Which file: the overlay patches of the dataset's overlay layouts set
  // the resources, their bases set the images.
  auto overlays = std::any_of(
    inc.gitops_files.begin(), inc.gitops_files.end(), [](const repo_file& f) {
      return f.path.find("/overlays/") != std::string::npos;
    });
  if (overlays) {
    ++t.overlay_plans;
    auto type = p.actions.front().type;
    for (const auto& f : made->files) {
      auto in_overlay
        = f.path.find("/overlays/" + inc.env + "/") != std::string::npos;
      if (type == action_type::set_resources) {
        EXPECT_TRUE(in_overlay) << f.path << "\n" << made->diff;
      }
      if (type == action_type::rollback || type == action_type::set_image) {
        EXPECT_FALSE(in_overlay) << f.path << "\n" << made->diff;
      }
    }
  }
  // The rendered GitOps objects and the dry-run-patched live objects agree
  // on every field the plan sets.
  sim::k8s_simulator api{state};
  auto where = patching::find_workload_manifest(after, inc.workload);
  ASSERT_TRUE(where) << render(where.error());
  auto wl_after = rendered(after, *where, inc.env);
  std::map<std::string, json> dry_run;
  for (const auto& target : made->dry_run_targets) {
    auto resp = api.handle(sim::test::make_request(
      "PATCH", target.path + "?dryRun=All", target.patch,
      {{"Content-Type", "application/strategic-merge-patch+json"}}));
    ASSERT_EQ(resp.status, 200) << target.path << ": " << resp.body << "\n"
                                << target.patch;
    dry_run[target.path] = strings(sim::test::body_of(resp));
  }
  auto wl_path = patching::api_path(inc.workload.kind, "", inc.workload.ns,
                                    inc.workload.name);
  for (const auto& c : *changes) {
    auto leaf = c.edit.path;
    if (c.on == patching::object_change::target::hpa) {
      ++t.hpa_plans;
      ASSERT_EQ(made->dry_run_targets.size(), 1u);
      const auto& live_hpa = dry_run.begin()->second;
      auto hpa_where = patching::find_manifest(
        after, {"HorizontalPodAutoscaler",
                live_hpa["metadata"].value("name", ""),
                inc.workload.ns,
                {},
                "hpa"});
      ASSERT_TRUE(hpa_where) << render(hpa_where.error());
      auto hpa_after = rendered(after, *hpa_where, inc.env);
      if (c.what == patching::object_change::field::hpa_target) {
        EXPECT_EQ(hpa_after["spec"]["metrics"], live_hpa["spec"]["metrics"]);
        auto metrics = hpa_after["spec"]["metrics"].dump();
        EXPECT_NE(metrics.find("\"averageUtilization\":\"" + c.edit.value.scalar
                               + "\""),
                  std::string::npos)
          << metrics;
      } else {
        ASSERT_NE(at(hpa_after, leaf), nullptr) << to_string(leaf);
        EXPECT_EQ(*at(hpa_after, leaf), c.edit.value.scalar);
        EXPECT_EQ(*at(live_hpa, leaf), c.edit.value.scalar);
      }
      continue;
    }
    ASSERT_EQ(dry_run.count(wl_path), 1u) << wl_path;
    const auto& live_after = dry_run[wl_path];
    if (c.what == patching::object_change::field::probe_fields) {
      for (const auto& [field, value] : c.edit.value.entries) {
        auto path = patching::with_keys(leaf, {field});
        ASSERT_NE(at(wl_after, path), nullptr) << to_string(path);
        EXPECT_EQ(*at(wl_after, path), value.scalar);
        ASSERT_NE(at(live_after, path), nullptr) << to_string(path);
        EXPECT_EQ(*at(live_after, path), value.scalar);
      }
      // The probe has a handler, live and in Git.
      const auto& probe = *at(wl_after, leaf);
      EXPECT_TRUE(probe.contains("httpGet") || probe.contains("tcpSocket")
                  || probe.contains("exec") || probe.contains("grpc"))
        << probe.dump();
      continue;
    }
    if (c.edit.op == patching::edit_op::remove) {
      EXPECT_EQ(at(wl_after, leaf), nullptr) << to_string(leaf);
      EXPECT_EQ(at(live_after, leaf), nullptr) << to_string(leaf);
      continue;
    }
    ASSERT_NE(at(wl_after, leaf), nullptr) << to_string(leaf);
    EXPECT_EQ(*at(wl_after, leaf), c.edit.value.scalar) << to_string(leaf);
    ASSERT_NE(at(live_after, leaf), nullptr) << to_string(leaf);
    EXPECT_EQ(*at(live_after, leaf), c.edit.value.scalar) << to_string(leaf);
  }
}

TEST(EvalDatasetSynthesis, EveryConcreteAcceptEntryBecomesAPatch) {
  if (!fs::is_directory(eval_dir))
    GTEST_SKIP() << "no datasets/eval";
  tally t;
  size_t first_entries = 0;
  for (const auto& dir : fs::directory_iterator(eval_dir)) {
    if (!fs::exists(dir.path() / "incident.yaml"))
      continue;
    sim::cluster_state state;
    auto inc = sim::load_incident(dir.path(), state);
    ASSERT_TRUE(inc) << dir.path() << ": " << render(inc.error());
    if (inc->gitops_files.empty()
        || inc->expected.value("decision", "") != "fix")
      continue;
    SCOPED_TRACE(inc->id);
    ++t.incidents;
    const auto* live = find_object(state, inc->workload.kind, inc->workload.ns,
                                   inc->workload.name);
    ASSERT_NE(live, nullptr);
    auto accept = inc->expected.value("accept", json::array());
    for (size_t i = 0; i < accept.size(); ++i) {
      auto p = plan_of(accept[i], state, *live, inc->workload);
      if (!p)
        continue;
      if (i == 0)
        ++first_entries;
      check_plan(*inc, state, *p, t);
    }
  }
  std::string summary;
  for (const auto& [a, n] : t.by_action)
    summary += " " + a + "=" + std::to_string(n);
  std::cout << "[          ] " << t.incidents << " incidents, " << t.plans
            << " plans (" << first_entries << " first entries, "
            << t.overlay_plans << " on overlays, " << t.hpa_plans
            << " HPA changes);" << summary << "\n";
  // Not vacuous: the dataset has 40 fix incidents with GitOps files, and
  // each has a concrete first entry.
  EXPECT_GE(t.incidents, 40u);
  EXPECT_EQ(first_entries, t.incidents);
  EXPECT_GE(t.overlay_plans, 8u);
  for (const char* a : {"set_resources", "rollback", "set_image", "set_probe",
                        "set_env", "set_hpa"})
    EXPECT_GT(t.by_action[a], 0u) << a;
}

} // namespace
