#include "actors/patch/manifest_edit.hpp"

#include "actors/common/quantity.hpp"
#include "actors/patch/kustomize.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>
#include <utility>

namespace kfix::patching {

namespace {

// -- small string helpers -----------------------------------------------------

std::string lower(std::string_view s) {
  std::string result{s};
  for (auto& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size()
         && s.substr(s.size() - suffix.size()) == suffix;
}

// -- containers ---------------------------------------------------------------

std::string describe_doc(const YAML::Node& doc, size_t document) {
  auto kind = yaml_scalar(yaml_child(doc, "kind"));
  auto name = yaml_scalar(yaml_child(yaml_child(doc, "metadata"), "name"));
  return (kind.empty() ? std::string{"document"} : kind) + " "
         + (name.empty() ? std::string{"<unnamed>"} : name) + " (document "
         + std::to_string(document) + ")";
}

/// A container found in a workload document.
struct located_container {
  YAML::Node node;
  /// The container's path from the document root.
  yaml_path path;
};

caf::expected<located_container>
find_container(const std::vector<YAML::Node>& docs, size_t document,
               const std::string& name) {
  if (document >= docs.size())
    return make_error(ec::invalid_input, "document " + std::to_string(document)
                                           + " out of range: the text has "
                                           + std::to_string(docs.size())
                                           + " documents");
  const auto& doc = docs[document];
  if (!doc.IsMap())
    return make_error(ec::invalid_input,
                      "document " + std::to_string(document) + " is not a map");
  auto kind = yaml_scalar(yaml_child(doc, "kind"));
  auto pod = pod_spec_path(kind);
  if (!pod)
    return make_error(ec::invalid_input, "unsupported kind " + backticked(kind)
                                           + " in "
                                           + describe_doc(doc, document));
  YAML::Node seq = doc;
  for (const auto& s : with_keys(*pod, {"containers"})) {
    YAML::Node next = yaml_child(seq, s.key.c_str());
    seq.reset(next);
  }
  if (!seq.IsSequence())
    return make_error(ec::not_found, "no containers in "
                                       + describe_doc(doc, document) + " at "
                                       + to_string(*pod) + ".containers");
  std::vector<std::string> names;
  std::optional<located_container> found;
  for (size_t i = 0; i < seq.size(); ++i) {
    auto item = seq[i];
    auto item_name = yaml_scalar(yaml_child(item, "name"));
    if (item_name == name && item.IsMap()) {
      if (found)
        return make_error(ec::invalid_input, "container " + backticked(name)
                                               + " appears twice in "
                                               + describe_doc(doc, document));
      found = located_container{item, container_path(*pod, name)};
    }
    names.push_back(item_name.empty() ? "<unnamed>" : item_name);
  }
  if (found)
    return std::move(*found);
  return make_error(
    ec::not_found,
    "container " + backticked(name) + " not found in "
      + describe_doc(doc, document) + "; containers: "
      + (names.empty() ? std::string{"none"} : join(names, ", ")));
}

// -- locating manifests -------------------------------------------------------

bool is_yaml_path(const std::string& path) {
  auto l = lower(path);
  return ends_with(l, ".yaml") || ends_with(l, ".yml");
}

} // namespace

// -- public API ---------------------------------------------------------------

std::optional<yaml_path> pod_spec_path(const std::string& kind) {
  if (kind == "Pod")
    return keys_path({"spec"});
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"
      || kind == "ReplicaSet" || kind == "Job"
      || kind == "ReplicationController")
    return keys_path({"spec", "template", "spec"});
  if (kind == "CronJob")
    return keys_path({"spec", "jobTemplate", "spec", "template", "spec"});
  return std::nullopt;
}

yaml_path container_path(const yaml_path& pod_spec, const std::string& name) {
  return with_item(with_keys(pod_spec, {"containers"}), "name", name);
}

caf::expected<manifest_location>
find_manifest(const std::vector<repo_file>& files, const manifest_query& q) {
  try {
    auto built = kustomize_namespaces(files);
    auto patches = kustomize_patch_files(files);
    // Namespaces set by kustomizations, by folder.
    std::map<std::string, std::string> folder_ns;
    for (const auto& f : files) {
      if (!is_kustomization_file(f.path))
        continue;
      auto docs = load_yaml_documents(f.content);
      if (!docs || docs->empty())
        continue;
      auto ns = yaml_scalar(yaml_child(docs->front(), "namespace"));
      if (!ns.empty())
        folder_ns[parent_dir(f.path)] = ns;
    }
    struct candidate {
      manifest_location where;
      int score;
    };
    std::vector<candidate> found;
    size_t yaml_files = 0;
    size_t skipped = 0;
    auto wanted_kind = lower(q.kind);
    for (const auto& f : files) {
      if (!is_yaml_path(f.path) || is_kustomization_file(f.path)
          || patches.count(f.path) > 0)
        continue;
      ++yaml_files;
      auto docs = load_yaml_documents(f.content);
      if (!docs) {
        ++skipped;
        continue;
      }
      for (size_t i = 0; i < docs->size(); ++i) {
        const auto& doc = (*docs)[i];
        if (!doc.IsMap())
          continue;
        auto kind = yaml_scalar(yaml_child(doc, "kind"));
        auto kind_ok = wanted_kind.empty() ? pod_spec_path(kind).has_value()
                                           : lower(kind) == wanted_kind;
        if (!kind_ok)
          continue;
        const auto meta = yaml_child(doc, "metadata");
        if (!q.name.empty() && yaml_scalar(yaml_child(meta, "name")) != q.name)
          continue;
        if (q.accept && !q.accept(doc))
          continue;
        auto own = yaml_scalar(yaml_child(meta, "namespace"));
        std::vector<std::string> namespaces{own};
        if (auto b = built.find(f.path); b != built.end()) {
          namespaces.clear();
          for (const auto& ns : b->second)
            namespaces.push_back(ns.empty() ? own : ns);
        } else if (auto k = folder_ns.find(parent_dir(f.path));
                   k != folder_ns.end()) {
          namespaces = {k->second};
        }
        int score = 0;
        for (const auto& ns : namespaces) {
          if (ns.empty() || q.ns.empty())
            score = std::max(score, 1);
          else if (ns == q.ns)
            score = 2;
        }
        if (score > 0)
          found.push_back({{f.path, i}, score});
      }
    }
    if (found.empty()) {
      auto msg = "no manifest of " + q.what + " among "
                 + std::to_string(yaml_files) + " YAML files";
      if (skipped > 0)
        msg += " (" + std::to_string(skipped) + " did not parse)";
      return make_error(ec::not_found, std::move(msg));
    }
    auto best = std::max_element(found.begin(), found.end(),
                                 [](const candidate& a, const candidate& b) {
                                   return a.score < b.score;
                                 })
                  ->score;
    std::vector<std::string> ties;
    const candidate* winner = nullptr;
    for (const auto& c : found)
      if (c.score == best) {
        ties.push_back(c.where.path + " (document "
                       + std::to_string(c.where.document) + ")");
        winner = &c;
      }
    if (ties.size() > 1)
      return make_error(ec::invalid_input, "ambiguous manifest of " + q.what
                                             + ": " + join(ties, " and "));
    return winner->where;
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"finding the manifest failed: "} + e.what());
  }
}

caf::expected<manifest_location>
find_workload_manifest(const std::vector<repo_file>& files,
                       const workload_ref& w) {
  return find_manifest(files, {w.kind, w.name, w.ns, {}, w.display()});
}

caf::error check_resource_edit(const resource_edit& e) {
  auto what = "edit of container " + backticked(e.container) + ": ";
  if (e.container.empty())
    return make_error(ec::invalid_input, "edit without container name");
  if (e.field != "requests" && e.field != "limits")
    return make_error(ec::invalid_input,
                      what + "field must be `requests` or `limits`, not "
                        + backticked(e.field));
  if (e.resource != "memory" && e.resource != "cpu"
      && e.resource != "ephemeral-storage")
    return make_error(ec::invalid_input,
                      what
                        + "resource must be `memory`, `cpu` or "
                          "`ephemeral-storage`, not "
                        + backticked(e.resource));
  if (e.value == "unset")
    return {};
  auto q = parse_quantity(e.value);
  if (!q)
    return make_error(ec::invalid_input, what + "invalid quantity "
                                           + backticked(e.value) + " for "
                                           + e.field + "." + e.resource + ": "
                                           + render(q.error()));
  if (q->negative())
    return make_error(ec::invalid_input,
                      what + "negative quantity " + backticked(e.value));
  if (e.resource != "cpu") {
    auto problem = memory_quantity_problem(e.value);
    if (!problem.empty())
      return make_error(ec::invalid_input, what + e.field + "." + e.resource
                                             + " " + backticked(e.value) + ": "
                                             + problem);
  }
  return {};
}

yaml_edit to_yaml_edit(const resource_edit& e, const yaml_path& container) {
  auto resources = with_keys(container, {"resources"});
  auto path = with_keys(resources, {e.field, e.resource});
  if (e.value == "unset")
    return {edit_op::remove, std::move(path), {}, 2, {}};
  return {edit_op::set, std::move(path), yaml_value::quantity(e.value), 0,
          std::move(resources)};
}

caf::expected<std::string>
apply_resource_edits(std::string_view text, size_t document,
                     const std::vector<resource_edit>& edits) {
  try {
    for (const auto& e : edits)
      if (auto err = check_resource_edit(e))
        return err;
    auto docs = load_yaml_documents(text);
    if (!docs)
      return docs.error();
    std::vector<yaml_edit> yedits;
    for (const auto& e : edits) {
      auto c = find_container(*docs, document, e.container);
      if (!c)
        return c.error();
      yedits.push_back(to_yaml_edit(e, c->path));
    }
    if (yedits.empty())
      return std::string{text};
    return apply_yaml_edits(text, document, yedits);
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"manifest edit failed: "} + e.what());
  }
}

caf::expected<std::map<std::string, std::map<std::string, std::string>>>
read_container_resources(std::string_view text, size_t document,
                         const std::string& container) {
  try {
    auto docs = load_yaml_documents(text);
    if (!docs)
      return docs.error();
    auto c = find_container(*docs, document, container);
    if (!c)
      return c.error();
    std::map<std::string, std::map<std::string, std::string>> result;
    for (auto& [f, m] : yaml_entries(yaml_child(c->node, "resources"))) {
      if (!f.IsScalar() || !m.IsMap())
        continue;
      auto& out = result[f.Scalar()];
      for (auto& [k, v] : yaml_entries(m))
        if (k.IsScalar() && v.IsScalar())
          out[k.Scalar()] = v.Scalar();
    }
    return result;
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"reading resources failed: "} + e.what());
  }
}

} // namespace kfix::patching
