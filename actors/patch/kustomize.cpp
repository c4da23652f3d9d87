#include "actors/patch/kustomize.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <functional>
#include <map>
#include <regex>

namespace kfix::patching {

namespace {

using json = nlohmann::json;

caf::expected<nlohmann::json> render_layers(const object_sources& s,
                                            size_t layers);

// -- paths --------------------------------------------------------------------

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= path.size()) {
    auto slash = path.find('/', begin);
    if (slash == std::string::npos)
      slash = path.size();
    if (slash > begin)
      out.push_back(path.substr(begin, slash - begin));
    begin = slash + 1;
  }
  return out;
}

/// `rel` relative to the folder `dir`, with `.` and `..` resolved.
std::string join_path(const std::string& dir, const std::string& rel) {
  std::vector<std::string> parts;
  for (const auto& s : segments(dir + "/" + rel)) {
    if (s == ".")
      continue;
    if (s == "..") {
      if (!parts.empty())
        parts.pop_back();
      continue;
    }
    parts.push_back(s);
  }
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : "/") + p;
  return out;
}

/// A JSON scalar as text ("" when absent or not a scalar).
std::string text_of(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key))
    return {};
  const auto& v = obj[key];
  if (v.is_string())
    return v.get<std::string>();
  return v.is_number() || v.is_boolean() ? v.dump() : std::string{};
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// -- kustomizations -----------------------------------------------------------

/// A patch a kustomization applies.
struct patch_ref {
  /// The patch file, or the kustomization for an inline patch.
  std::string path;
  /// For an inline patch: its place in the kustomization and its text.
  yaml_path inline_at;
  std::string inline_text;
  bool is_inline = false;
  /// `target:` (kind, name, namespace, labelSelector, annotationSelector).
  json target;
};

struct kustomization_info {
  std::string path;
  std::string dir;
  std::string ns;
  /// Files and folders, relative to the repository.
  std::vector<std::string> resources;
  std::vector<std::string> components;
  /// In the order kustomize applies them: patchesStrategicMerge, patches,
  /// patchesJson6902.
  std::vector<patch_ref> patches;
  json images = json::array();
  json replicas = json::array();
  json replacements = json::array();
  /// Fields that may change any object in ways K-Fix does not model.
  std::vector<std::string> unmodelled;
};

bool is_remote(const std::string& ref) {
  return ref.find("://") != std::string::npos
         || ref.rfind("github.com/", 0) == 0 || ref.rfind("git@", 0) == 0;
}

std::vector<std::string> local_refs(const YAML::Node& seq,
                                    const std::string& dir) {
  std::vector<std::string> out;
  if (!seq.IsDefined() || !seq.IsSequence())
    return out;
  for (auto it = seq.begin(); it != seq.end(); ++it)
    if (it->IsScalar() && !is_remote(it->Scalar()))
      out.push_back(join_path(dir, it->Scalar()));
  return out;
}

std::optional<kustomization_info> parse_kustomization(const repo_file& f) {
  auto docs = load_yaml_documents(f.content);
  if (!docs || docs->empty() || !docs->front().IsMap())
    return std::nullopt;
  const auto& doc = docs->front();
  kustomization_info k;
  k.path = f.path;
  k.dir = parent_dir(f.path);
  k.ns = yaml_scalar(yaml_child(doc, "namespace"));
  k.resources = local_refs(yaml_child(doc, "resources"), k.dir);
  // `bases:` is the deprecated spelling of folder resources.
  for (auto& b : local_refs(yaml_child(doc, "bases"), k.dir))
    k.resources.push_back(std::move(b));
  k.components = local_refs(yaml_child(doc, "components"), k.dir);
  auto psm = yaml_child(doc, "patchesStrategicMerge");
  if (psm.IsSequence())
    for (size_t i = 0; i < psm.size(); ++i) {
      auto s = yaml_scalar(psm[i]);
      patch_ref p;
      if (s.find('\n') != std::string::npos) {
        p.path = f.path;
        p.is_inline = true;
        p.inline_at = with_index(keys_path({"patchesStrategicMerge"}), i);
        p.inline_text = s;
      } else {
        p.path = join_path(k.dir, s);
      }
      k.patches.push_back(std::move(p));
    }
  for (const char* field : {"patches", "patchesJson6902"}) {
    auto list = yaml_child(doc, field);
    if (!list.IsSequence())
      continue;
    for (size_t i = 0; i < list.size(); ++i) {
      patch_ref p;
      auto item = list[i];
      if (auto path = yaml_scalar(yaml_child(item, "path")); !path.empty()) {
        p.path = join_path(k.dir, path);
      } else {
        p.path = f.path;
        p.is_inline = true;
        p.inline_at = with_keys(with_index(keys_path({field}), i), {"patch"});
        p.inline_text = yaml_scalar(yaml_child(item, "patch"));
      }
      if (auto target = yaml_child(item, "target"); target.IsMap())
        p.target = yaml_to_json(target);
      k.patches.push_back(std::move(p));
    }
  }
  if (auto images = yaml_child(doc, "images"); images.IsSequence())
    k.images = yaml_to_json(images);
  if (auto replicas = yaml_child(doc, "replicas"); replicas.IsSequence())
    k.replicas = yaml_to_json(replicas);
  if (auto r = yaml_child(doc, "replacements"); r.IsSequence())
    k.replacements = yaml_to_json(r);
  for (const char* field : {"transformers", "vars"})
    if (yaml_child(doc, field).IsDefined())
      k.unmodelled.emplace_back(field);
  return k;
}

/// Every kustomization of the files that parses.
std::vector<kustomization_info>
parse_kustomizations(const std::vector<repo_file>& files) {
  std::vector<kustomization_info> out;
  for (const auto& f : files)
    if (is_kustomization_file(f.path))
      if (auto k = parse_kustomization(f))
        out.push_back(std::move(*k));
  return out;
}

/// The graph of kustomizations: which builds which file.
class kustomize_graph {
public:
  explicit kustomize_graph(std::vector<kustomization_info> ks)
    : ks_(std::move(ks)) {
    for (size_t i = 0; i < ks_.size(); ++i)
      by_dir_[ks_[i].dir] = i;
    for (const auto& k : ks_)
      for (const auto* refs : {&k.resources, &k.components})
        for (const auto& r : *refs)
          if (by_dir_.count(r) > 0)
            used_.insert(r);
  }

  const kustomization_info* at_dir(const std::string& dir) const {
    auto it = by_dir_.find(dir);
    return it == by_dir_.end() ? nullptr : &ks_[it->second];
  }

  /// The kustomizations from `k` down to the one listing `file`, or empty.
  std::vector<const kustomization_info*> chain(const kustomization_info& k,
                                               const std::string& file,
                                               size_t depth = 0) const {
    if (depth > 32)
      return {};
    for (const auto* refs : {&k.resources, &k.components})
      for (const auto& r : *refs)
        if (r == file)
          return {&k};
    for (const auto* refs : {&k.resources, &k.components})
      for (const auto& r : *refs)
        if (const auto* sub = at_dir(r); sub != nullptr && sub != &k) {
          auto rest = chain(*sub, file, depth + 1);
          if (!rest.empty()) {
            rest.insert(rest.begin(), &k);
            return rest;
          }
        }
    return {};
  }

  /// The kustomizations that build `file` and that no other one uses.
  std::vector<const kustomization_info*> roots(const std::string& file) const {
    std::vector<const kustomization_info*> out;
    for (const auto& k : ks_)
      if (used_.count(k.dir) == 0 && !chain(k, file).empty())
        out.push_back(&k);
    return out;
  }

  bool is_root(const kustomization_info& k) const {
    return used_.count(k.dir) == 0;
  }

  const std::vector<kustomization_info>& all() const {
    return ks_;
  }

private:
  std::vector<kustomization_info> ks_;
  std::map<std::string, size_t> by_dir_;
  std::set<std::string> used_;
};

const std::set<std::string>& known_envs() {
  static const std::set<std::string> envs{"prod",    "staging", "dev",
                                          "qa",      "test",    "uat",
                                          "sandbox", "preprod", "perf"};
  return envs;
}

/// The environments a folder path names.
std::set<std::string> envs_of(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& s : segments(dir)) {
    auto c = env_class(s);
    if (known_envs().count(c) > 0)
      out.insert(c);
  }
  return out;
}

// -- matching patches to objects ----------------------------------------------

bool name_matches(const std::string& pattern, const std::string& name) {
  if (pattern.empty() || pattern == name)
    return true;
  try {
    return std::regex_match(name, std::regex{pattern});
  } catch (const std::regex_error&) {
    return false;
  }
}

/// Whether `selector` ("a=b,c") holds for the labels or annotations `kv`.
bool selector_matches(const std::string& selector, const json& kv) {
  size_t begin = 0;
  while (begin < selector.size()) {
    auto comma = selector.find(',', begin);
    if (comma == std::string::npos)
      comma = selector.size();
    auto term = selector.substr(begin, comma - begin);
    begin = comma + 1;
    auto eq = term.find('=');
    auto key = term.substr(0, eq);
    auto value = eq == std::string::npos ? std::string{} : term.substr(eq + 1);
    if (!value.empty() && value.front() == '=')
      value.erase(0, 1);
    if (!kv.is_object() || !kv.contains(key))
      return false;
    if (eq != std::string::npos && kv[key] != value)
      return false;
  }
  return true;
}

bool target_matches(const json& target, const json& obj) {
  auto field = [&](const char* k) {
    return target.value(k, std::string{});
  };
  const auto meta = obj.value("metadata", json::object());
  if (!field("kind").empty() && field("kind") != obj.value("kind", ""))
    return false;
  if (!name_matches(field("name"), meta.value("name", "")))
    return false;
  if (!field("labelSelector").empty()
      && !selector_matches(field("labelSelector"),
                           meta.value("labels", json::object())))
    return false;
  if (!field("annotationSelector").empty()
      && !selector_matches(field("annotationSelector"),
                           meta.value("annotations", json::object())))
    return false;
  return true;
}

/// Whether a strategic-merge patch without `target:` patches `obj`.
bool same_object(const json& patch, const json& obj) {
  return patch.value("kind", "") == obj.value("kind", "")
         && patch.value("metadata", json::object()).value("name", "")
              == obj.value("metadata", json::object()).value("name", "");
}

const repo_file* file_at(const std::vector<repo_file>& files,
                         const std::string& path) {
  for (const auto& f : files)
    if (f.path == path)
      return &f;
  return nullptr;
}

/// Adds the layers kustomization `k` (its components first) contributes to
/// `obj`.
caf::error add_layers(const std::vector<repo_file>& files,
                      const kustomize_graph& g, const kustomization_info& k,
                      const json& obj, std::vector<object_layer>& layers,
                      bool typed, size_t depth = 0) {
  const auto kind = obj.value("kind", "");
  const auto name = obj.value("metadata", json::object()).value("name", "");
  if (!k.unmodelled.empty())
    return make_error(ec::invalid_input,
                      k.path + " uses `" + join(k.unmodelled, ", ")
                        + "`, which patch synthesis does not evaluate: the "
                          "effective values cannot be told");
  for (const auto& r : k.replacements)
    for (const auto& t : r.value("targets", json::array()))
      if (target_matches(t.value("select", json::object()), obj))
        return make_error(ec::invalid_input,
                          k.path + " has `replacements` aimed at " + kind + " "
                            + name
                            + ", which patch synthesis does not evaluate");
  if (depth < 8)
    for (const auto& c : k.components)
      if (const auto* comp = g.at_dir(c))
        if (auto err
            = add_layers(files, g, *comp, obj, layers, typed, depth + 1))
          return err;
  for (const auto& p : k.patches) {
    std::string text = p.inline_text;
    if (!p.is_inline) {
      const auto* f = file_at(files, p.path);
      if (f == nullptr)
        return make_error(ec::invalid_input,
                          k.path + " names the patch " + p.path
                            + ", which is not among the GitOps files");
      text = f->content;
    }
    auto docs = load_yaml_documents(text);
    if (!docs)
      return make_error(ec::invalid_input,
                        "the patch " + p.path
                          + (p.is_inline
                               ? " (inline, " + to_string(p.inline_at) + ")"
                               : std::string{})
                          + " does not parse: " + render(docs.error()));
    for (size_t d = 0; d < docs->size(); ++d) {
      auto value = yaml_to_json((*docs)[d], typed);
      object_layer l;
      l.path = p.path;
      l.document = p.is_inline ? 0 : d;
      l.inline_at = p.inline_at;
      if (value.is_array()) {
        if (!p.target.is_object() || !target_matches(p.target, obj))
          continue;
        l.type = object_layer::kind::json6902_patch;
      } else if (value.is_object()) {
        auto applies = p.target.is_object() ? target_matches(p.target, obj)
                                            : same_object(value, obj);
        if (!applies)
          continue;
        l.type = object_layer::kind::strategic_patch;
      } else {
        continue;
      }
      if (p.is_inline && docs->size() > 1)
        return make_error(ec::invalid_input,
                          "the inline patch " + to_string(p.inline_at) + " of "
                            + k.path
                            + " holds several documents, which patch "
                              "synthesis cannot edit");
      l.value = std::move(value);
      layers.push_back(std::move(l));
    }
  }
  for (size_t i = 0; i < k.replicas.size(); ++i)
    if (text_of(k.replicas[i], "name") == name)
      layers.push_back(
        {object_layer::kind::replicas, k.path, 0, {}, i, k.replicas[i]});
  for (size_t i = 0; i < k.images.size(); ++i)
    layers.push_back(
      {object_layer::kind::images, k.path, 0, {}, i, k.images[i]});
  return {};
}

// -- rendering ----------------------------------------------------------------

std::string merge_key_of(const std::string& field) {
  if (field == "containers" || field == "initContainers"
      || field == "ephemeralContainers" || field == "env" || field == "volumes"
      || field == "imagePullSecrets")
    return "name";
  if (field == "volumeMounts")
    return "mountPath";
  if (field == "ports")
    return "containerPort";
  return {};
}

void merge_list(json& target, const json& patch, const std::string& key) {
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(key)) {
      target.push_back(item);
      continue;
    }
    auto it = std::find_if(target.begin(), target.end(), [&](const json& x) {
      return x.is_object() && x.contains(key) && x[key] == item[key];
    });
    auto remove = item.value("$patch", std::string{}) == "delete";
    if (it == target.end()) {
      if (!remove) {
        target.push_back(json::object());
        strategic_merge(target.back(), item);
      }
    } else if (remove) {
      target.erase(it);
    } else {
      strategic_merge(*it, item);
    }
  }
}

/// Applies one `images:` entry to every container image below `n`.
void transform_images(json& n, const json& entry) {
  if (n.is_array()) {
    for (auto& x : n)
      transform_images(x, entry);
    return;
  }
  if (!n.is_object())
    return;
  for (auto& [key, value] : n.items()) {
    if ((key == "containers" || key == "initContainers") && value.is_array()) {
      for (auto& c : value) {
        if (!c.is_object() || !c.contains("image") || !c["image"].is_string())
          continue;
        auto ref = parse_image(c["image"].get<std::string>());
        if (ref.name != text_of(entry, "name"))
          continue;
        if (auto n2 = text_of(entry, "newName"); !n2.empty())
          ref.name = n2;
        if (auto d = text_of(entry, "digest"); !d.empty()) {
          ref.digest = d;
          ref.tag.clear();
        } else if (auto t = text_of(entry, "newTag"); !t.empty()) {
          ref.tag = t;
          ref.digest.clear();
        }
        c["image"] = ref.str();
      }
    } else {
      transform_images(value, entry);
    }
  }
}

} // namespace

// -- public API ---------------------------------------------------------------

std::string_view to_string(object_layer::kind k) {
  switch (k) {
    case object_layer::kind::resource:
      return "manifest";
    case object_layer::kind::strategic_patch:
      return "strategic-merge patch";
    case object_layer::kind::json6902_patch:
      return "JSON 6902 patch";
    case object_layer::kind::images:
      return "images: entry";
    case object_layer::kind::replicas:
      return "replicas: entry";
  }
  return "layer";
}

bool is_kustomization_file(const std::string& path) {
  auto slash = path.rfind('/');
  auto b = slash == std::string::npos ? path : path.substr(slash + 1);
  return b == "kustomization.yaml" || b == "kustomization.yml"
         || b == "Kustomization";
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

std::string env_class(std::string_view name) {
  auto l = lower(name);
  if (l == "prod" || l == "production" || l == "prd" || l == "live")
    return "prod";
  if (l == "staging" || l == "stage" || l == "stg")
    return "staging";
  if (l == "dev" || l == "development" || l == "develop")
    return "dev";
  return l;
}

std::set<std::string>
kustomize_patch_files(const std::vector<repo_file>& files) {
  std::set<std::string> out;
  for (const auto& k : parse_kustomizations(files))
    for (const auto& p : k.patches)
      if (!p.is_inline)
        out.insert(p.path);
  return out;
}

std::map<std::string, std::vector<std::string>>
kustomize_namespaces(const std::vector<repo_file>& files) {
  kustomize_graph g{parse_kustomizations(files)};
  std::map<std::string, std::vector<std::string>> out;
  // Outer namespaces win over inner ones.
  std::function<void(const kustomization_info&, const std::string&, size_t)>
    visit
    = [&](const kustomization_info& k, const std::string& outer, size_t depth) {
        auto ns = outer.empty() ? k.ns : outer;
        for (const auto* refs : {&k.resources, &k.components})
          for (const auto& r : *refs) {
            if (const auto* sub = g.at_dir(r)) {
              if (sub != &k && depth < 32)
                visit(*sub, ns, depth + 1);
              continue;
            }
            auto& nss = out[r];
            if (std::find(nss.begin(), nss.end(), ns) == nss.end())
              nss.push_back(ns);
          }
      };
  for (const auto& k : g.all())
    if (g.is_root(k))
      visit(k, {}, 0);
  return out;
}

std::string image_ref::str() const {
  auto out = name;
  if (!tag.empty())
    out += ":" + tag;
  if (!digest.empty())
    out += "@" + digest;
  return out;
}

image_ref parse_image(const std::string& image) {
  image_ref ref;
  auto rest = image;
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest.resize(at);
  }
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string::npos
      && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest.resize(colon);
  }
  ref.name = rest;
  return ref;
}

void strategic_merge(nlohmann::json& target, const nlohmann::json& patch) {
  if (!patch.is_object() || !target.is_object()) {
    target = patch;
    return;
  }
  for (const auto& [key, value] : patch.items()) {
    if (!key.empty() && key.front() == '$')
      continue;
    if (value.is_null()) {
      target.erase(key);
      continue;
    }
    if (!target.contains(key) || target[key].is_null()) {
      target[key] = value.is_object() ? json::object() : value;
      if (value.is_object())
        strategic_merge(target[key], value);
      continue;
    }
    auto& t = target[key];
    if (value.is_object() && t.is_object()) {
      strategic_merge(t, value);
      continue;
    }
    auto mk = merge_key_of(key);
    if (value.is_array() && t.is_array() && !mk.empty()) {
      merge_list(t, value, mk);
      continue;
    }
    t = value;
  }
}

caf::expected<object_sources>
resolve_sources(const std::vector<repo_file>& files, const std::string& path,
                size_t document, const std::string& env, bool typed) {
  try {
    const auto* f = file_at(files, path);
    if (f == nullptr)
      return make_error(ec::not_found, "no GitOps file " + path);
    auto docs = load_yaml_documents(f->content);
    if (!docs)
      return make_error(ec::invalid_input, path + ": " + render(docs.error()));
    if (document >= docs->size())
      return make_error(ec::invalid_input,
                        path + " has no document " + std::to_string(document));
    object_sources s;
    s.typed = typed;
    s.layers.push_back({object_layer::kind::resource,
                        path,
                        document,
                        {},
                        0,
                        yaml_to_json((*docs)[document], typed)});
    const auto obj = s.layers.front().value;
    s.kind = obj.value("kind", "");
    s.name = obj.value("metadata", json::object()).value("name", "");
    kustomize_graph g{parse_kustomizations(files)};
    auto roots = g.roots(path);
    if (roots.empty())
      return s;
    auto want = env.empty() ? std::string{} : env_class(env);
    std::vector<const kustomization_info*> matching;
    std::vector<const kustomization_info*> neutral;
    std::vector<std::string> names;
    for (const auto* r : roots) {
      auto envs = envs_of(r->dir);
      names.push_back(r->dir.empty() ? "./" : r->dir + "/");
      if (!want.empty() && envs.count(want) > 0)
        matching.push_back(r);
      else if (envs.empty())
        neutral.push_back(r);
    }
    const kustomization_info* root = nullptr;
    if (matching.size() == 1)
      root = matching.front();
    else if (matching.empty() && neutral.size() == 1)
      root = neutral.front();
    else if (want.empty() && roots.size() == 1)
      root = roots.front();
    if (root == nullptr) {
      auto why = matching.size() > 1 || neutral.size() > 1
                   ? "several kustomize builds of " + path + " fit"
                   : "no kustomize build of " + path + " is for the "
                       + (env.empty() ? std::string{"unknown environment"}
                                      : "environment `" + env + "`");
      return make_error(ec::invalid_input,
                        why + " (" + join(names, ", ") + ")");
    }
    s.overlay = root->dir;
    auto chain = g.chain(*root, path);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
      if (auto err = add_layers(files, g, **it, obj, s.layers, typed))
        return err;
    return s;
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      std::string{"reading kustomizations failed: "}
                        + e.what());
  }
}

caf::expected<nlohmann::json> render_object(const object_sources& s,
                                            size_t layers) {
  if (s.layers.empty())
    return make_error(ec::invalid_input, "nothing to render");
  try {
    return render_layers(s, layers);
  } catch (const std::exception& e) {
    return make_error(ec::invalid_input,
                      std::string{"rendering the kustomize build failed: "}
                        + e.what());
  }
}

namespace {

caf::expected<nlohmann::json> render_layers(const object_sources& s,
                                            size_t layers) {
  auto obj = s.layers.front().value;
  for (size_t i = 1; i < s.layers.size() && i < layers; ++i) {
    const auto& l = s.layers[i];
    switch (l.type) {
      case object_layer::kind::resource:
        break;
      case object_layer::kind::strategic_patch: {
        auto p = l.value;
        p.erase("apiVersion");
        p.erase("kind");
        if (p.contains("metadata") && p["metadata"].is_object()) {
          p["metadata"].erase("name");
          p["metadata"].erase("namespace");
        }
        strategic_merge(obj, p);
        break;
      }
      case object_layer::kind::json6902_patch:
        try {
          obj = obj.patch(l.value);
        } catch (const std::exception& e) {
          return make_error(ec::invalid_input,
                            "the JSON 6902 patch " + l.path
                              + " does not apply: " + e.what());
        }
        break;
      case object_layer::kind::images:
        transform_images(obj, l.value);
        break;
      case object_layer::kind::replicas:
        obj["spec"]["replicas"]
          = s.typed ? json(
              std::strtoll(text_of(l.value, "count").c_str(), nullptr, 10))
                    : json(text_of(l.value, "count"));
        break;
    }
  }
  return obj;
}

} // namespace

} // namespace kfix::patching
