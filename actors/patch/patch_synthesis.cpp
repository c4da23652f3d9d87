#include "actors/patch/patch_synthesis.hpp"

#include "actors/patch/unified_diff.hpp"

#include <nlohmann/json.hpp>

namespace kfix::patching {

namespace {

struct resource_param {
  const char* param;
  const char* field;
  const char* resource;
};

constexpr resource_param resource_params[] = {
  {"memory_limit", "limits", "memory"},
  {"memory_request", "requests", "memory"},
  {"cpu_limit", "limits", "cpu"},
  {"cpu_request", "requests", "cpu"},
  {"ephemeral_storage_limit", "limits", "ephemeral-storage"},
  {"ephemeral_storage_request", "requests", "ephemeral-storage"},
};

} // namespace

caf::expected<std::vector<resource_edit>> resource_edits_of(const plan& p) {
  std::vector<resource_edit> edits;
  for (const auto& a : p.actions) {
    if (a.type == action_type::escalate)
      continue;
    if (a.type != action_type::set_resources)
      return make_error(ec::invalid_input,
                        "patch synthesis cannot express action "
                          + std::string{to_string(a.type)} + " yet");
    if (a.container.empty())
      return make_error(ec::invalid_input,
                        "set_resources without a container in plan " + p.id);
    for (const auto& [key, value] : a.params) {
      bool known = false;
      for (const auto& rp : resource_params)
        if (key == rp.param) {
          edits.push_back({a.container, rp.field, rp.resource, value});
          known = true;
        }
      if (!known)
        return make_error(ec::invalid_input,
                          "set_resources has no parameter " + key);
    }
  }
  if (edits.empty())
    return make_error(ec::invalid_input, "plan " + p.id + " changes nothing");
  return edits;
}

caf::expected<std::string> strategic_patch_of(const plan& p,
                                              const workload_ref& workload) {
  auto edits = resource_edits_of(p);
  if (!edits)
    return edits.error();
  nlohmann::json containers = nlohmann::json::array();
  for (const auto& e : *edits) {
    auto it = std::find_if(containers.begin(), containers.end(),
                           [&](const nlohmann::json& c) {
                             return c["name"] == e.container;
                           });
    if (it == containers.end()) {
      containers.push_back({{"name", e.container}});
      it = containers.end() - 1;
    }
    auto& slot = (*it)["resources"][e.field][e.resource];
    slot
      = e.value == "unset" ? nlohmann::json(nullptr) : nlohmann::json(e.value);
  }
  nlohmann::json pod_spec{{"containers", containers}};
  nlohmann::json body;
  if (workload.kind == "Pod")
    body = {{"spec", pod_spec}};
  else
    body = {{"spec", {{"template", {{"spec", pod_spec}}}}}};
  return body.dump();
}

caf::expected<patch> synthesize_patch(const plan& p,
                                      const workload_ref& workload,
                                      const std::vector<repo_file>& files) {
  auto edits = resource_edits_of(p);
  if (!edits)
    return edits.error();
  auto location = find_workload_manifest(files, workload);
  if (!location)
    return location.error();
  const repo_file* file = nullptr;
  for (const auto& f : files)
    if (f.path == location->path)
      file = &f;
  if (file == nullptr)
    return make_error(ec::not_found, "manifest " + location->path);
  auto edited = apply_resource_edits(file->content, location->document, *edits);
  if (!edited)
    return edited.error();
  auto k8s = strategic_patch_of(p, workload);
  if (!k8s)
    return k8s.error();
  patch result;
  result.plan_id = p.id;
  result.files.push_back(
    {file->path, file->content, *edited, file->last_commit_id});
  result.diff = unified_diff(result.files);
  result.k8s_patch = std::move(*k8s);
  return result;
}

patch_set synthesize_all(const decision& d, const workload_ref& workload,
                         const std::vector<repo_file>& files) {
  patch_set result;
  if (d.kind != decision_kind::fix)
    return result;
  for (const auto& p : d.plans) {
    auto made = synthesize_patch(p, workload, files);
    if (made)
      result.patches.push_back(std::move(*made));
    else
      result.failures.emplace_back(p.id, render(made.error()));
  }
  return result;
}

} // namespace kfix::patching
