#include "actors/patch/patch_synthesis.hpp"

#include "actors/common/http.hpp"
#include "actors/common/time_text.hpp"
#include "actors/patch/kustomize.hpp"
#include "actors/patch/unified_diff.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>
#include <tuple>

namespace kfix::patching {

namespace {

using json = nlohmann::json;

// -- the vocabulary's parameters ----------------------------------------------

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

struct probe_param {
  const char* param;
  const char* field;
  int64_t min;
};

constexpr probe_param probe_params[] = {
  {"initial_delay_seconds", "initialDelaySeconds", 0},
  {"period_seconds", "periodSeconds", 1},
  {"timeout_seconds", "timeoutSeconds", 1},
  {"success_threshold", "successThreshold", 1},
  {"failure_threshold", "failureThreshold", 1},
};

constexpr const char* probe_keys[]
  = {"livenessProbe", "readinessProbe", "startupProbe"};

constexpr const char* probe_handlers[]
  = {"httpGet", "tcpSocket", "exec", "grpc"};

constexpr const char* restarted_at = "kubectl.kubernetes.io/restartedAt";

/// The message of an error without its code name.
std::string message_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() > 0 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return render(err);
}

std::optional<int64_t> parse_int(const std::string& s) {
  if (s.empty() || s.size() > 18)
    return std::nullopt;
  for (auto c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  return std::stoll(s);
}

std::string describe(const action& a) {
  std::string out{to_string(a.type)};
  if (!a.container.empty())
    out += " of container " + backticked(a.container);
  return out;
}

caf::error bad(const action& a, const std::string& why) {
  return make_error(ec::invalid_input, describe(a) + ": " + why);
}

caf::error check_params(const action& a,
                        std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : a.params)
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) {
          return key == k;
        })) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      return bad(a,
                 "no parameter " + backticked(key)
                   + (names.empty() ? " (it takes none)"
                                    : " (it takes " + join(names, ", ") + ")"));
    }
  return {};
}

caf::expected<int64_t> int_param(const action& a, const std::string& key,
                                 int64_t min) {
  auto v = parse_int(a.param(key));
  if (!v || *v < min)
    return bad(a, key + " must be a whole number of at least "
                    + std::to_string(min) + ", not "
                    + backticked(a.param(key)));
  return *v;
}

bool valid_image(const std::string& s) {
  if (s.empty() || s.front() == '-' || s.find("://") != std::string::npos)
    return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= ' ' || u >= 0x7f || c == '"' || c == '\'' || c == '\\';
  });
}

bool valid_env_name(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front())))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'
           || c == '.';
  });
}

object_change workload_change(const action& a, yaml_edit e,
                              object_change::field what
                              = object_change::field::plain) {
  object_change c;
  c.what = what;
  c.edit = std::move(e);
  c.action = describe(a);
  c.container = a.container;
  return c;
}

yaml_edit set_edit(yaml_path path, yaml_value v, yaml_path quote_from = {},
                   std::vector<std::string> before = {},
                   std::vector<std::string> after = {}) {
  return {edit_op::set,          std::move(path),   std::move(v),    0,
          std::move(quote_from), std::move(before), std::move(after)};
}

// -- actions to changes -------------------------------------------------------

caf::expected<std::vector<object_change>>
changes_of(const action& a, const std::string& kind,
           const synthesis_options& options) {
  auto pod = pod_spec_path(kind);
  std::vector<object_change> out;
  auto container = [&]() -> caf::expected<yaml_path> {
    if (!pod)
      return bad(a, "a " + (kind.empty() ? std::string{"manifest"} : kind)
                      + " has no pod template");
    if (a.container.empty())
      return bad(a, "the action names no container");
    return container_path(*pod, a.container);
  };
  switch (a.type) {
    case action_type::escalate:
      return out;
    case action_type::set_resources: {
      auto c = container();
      if (!c)
        return c.error();
      for (const auto& [key, value] : a.params) {
        const auto* rp
          = std::find_if(std::begin(resource_params), std::end(resource_params),
                         [&](const resource_param& x) {
                           return key == x.param;
                         });
        if (rp == std::end(resource_params))
          return bad(a, "no parameter " + backticked(key));
        resource_edit e{a.container, rp->field, rp->resource, value};
        if (auto err = check_resource_edit(e))
          return bad(a, message_of(err));
        out.push_back(workload_change(a, to_yaml_edit(e, *c)));
      }
      if (out.empty())
        return bad(a, "no resource to change");
      return out;
    }
    case action_type::set_image:
    case action_type::rollback: {
      auto rollback = a.type == action_type::rollback;
      if (auto err = rollback ? check_params(a, {"to_revision", "image"})
                              : check_params(a, {"image"}))
        return err;
      if (rollback && !a.param("to_revision").empty())
        if (auto r = int_param(a, "to_revision", 1); !r)
          return r.error();
      auto image = a.param("image");
      if (image.empty() && rollback)
        return bad(a, "a rollback"
                        + (a.param("to_revision").empty()
                             ? std::string{}
                             : " to revision " + a.param("to_revision"))
                        + " names no image: the plan must name the revision's "
                          "images (one rollback action per changed container, "
                          "plus set_env/set_resources for other fields the "
                          "revision differs in)");
      if (image.empty())
        return bad(a, "the action names no image");
      if (!valid_image(image))
        return bad(a, "invalid image " + backticked(image));
      auto c = container();
      if (!c)
        return c.error();
      out.push_back(
        workload_change(a,
                        set_edit(with_keys(*c, {"image"}),
                                 yaml_value::text(image), *c, {}, {"name"}),
                        object_change::field::image));
      return out;
    }
    case action_type::scale_replicas: {
      if (auto err = check_params(a, {"replicas"}))
        return err;
      if (kind == "DaemonSet")
        return bad(a, "a DaemonSet runs one pod per node and has no replicas");
      if (kind != "Deployment" && kind != "StatefulSet" && kind != "ReplicaSet")
        return bad(a, "a " + kind + " has no spec.replicas to scale");
      auto n = int_param(a, "replicas", 0);
      if (!n)
        return n.error();
      out.push_back(
        workload_change(a,
                        set_edit(keys_path({"spec", "replicas"}),
                                 yaml_value::number(std::to_string(*n)), {},
                                 {"selector", "serviceName", "template"}),
                        object_change::field::replicas));
      return out;
    }
    case action_type::set_hpa: {
      if (auto err = check_params(a, {"min_replicas", "max_replicas",
                                      "target_cpu_utilization",
                                      "target_memory_utilization"}))
        return err;
      std::optional<int64_t> min;
      std::optional<int64_t> max;
      // The bounds are plain fields; a utilization target's path depends on
      // the HPA's API version (resolved against the manifest).
      for (const auto& [key, field, resource] :
           {std::tuple{"min_replicas", "minReplicas", ""},
            std::tuple{"max_replicas", "maxReplicas", ""},
            std::tuple{"target_cpu_utilization", "", "cpu"},
            std::tuple{"target_memory_utilization", "", "memory"}}) {
        if (a.param(key).empty())
          continue;
        auto n = int_param(a, key, 1);
        if (!n)
          return n.error();
        if (std::string{key} == "min_replicas")
          min = *n;
        if (std::string{key} == "max_replicas")
          max = *n;
        auto target = *resource != '\0';
        auto c = workload_change(
          a,
          set_edit(target ? yaml_path{} : keys_path({"spec", field}),
                   yaml_value::number(std::to_string(*n))),
          target ? object_change::field::hpa_target
                 : object_change::field::plain);
        c.on = object_change::target::hpa;
        c.detail = resource;
        out.push_back(std::move(c));
      }
      if (min && max && *min > *max)
        return bad(a, "min_replicas " + std::to_string(*min)
                        + " exceeds max_replicas " + std::to_string(*max));
      if (out.empty())
        return bad(a, "no HPA field to change");
      return out;
    }
    case action_type::set_probe: {
      if (auto err
          = check_params(a, {"probe", "initial_delay_seconds", "period_seconds",
                             "timeout_seconds", "failure_threshold",
                             "success_threshold", "remove"}))
        return err;
      auto probe = a.param("probe");
      if (probe != "liveness" && probe != "readiness" && probe != "startup")
        return bad(a, "probe must be liveness, readiness or startup, not "
                        + backticked(probe));
      auto c = container();
      if (!c)
        return c.error();
      auto path = with_keys(*c, {probe + "Probe"});
      auto remove = a.param("remove");
      if (!remove.empty() && remove != "true" && remove != "false")
        return bad(a, "remove must be true or false");
      auto fields = yaml_value::map({});
      for (const auto& pp : probe_params) {
        if (a.param(pp.param).empty())
          continue;
        auto n = int_param(a, pp.param, pp.min);
        if (!n)
          return n.error();
        if (std::string{pp.field} == "successThreshold" && probe != "readiness"
            && *n != 1)
          return bad(a,
                     "success_threshold must be 1 for a " + probe + " probe");
        fields.entries.emplace_back(pp.field,
                                    yaml_value::number(std::to_string(*n)));
      }
      if (remove == "true") {
        if (!fields.entries.empty())
          return bad(a, "remove: true sets no probe fields");
        out.push_back(
          workload_change(a, {edit_op::remove, std::move(path), {}, 0, {}}));
        return out;
      }
      if (fields.entries.empty())
        return bad(a, "no probe field to change");
      auto change = workload_change(
        a,
        set_edit(std::move(path), fields, *c, {},
                 {std::begin(probe_keys), std::end(probe_keys)}),
        object_change::field::probe_fields);
      change.detail = probe + "Probe";
      out.push_back(std::move(change));
      return out;
    }
    case action_type::set_env: {
      if (auto err = check_params(a, {"name", "value"}))
        return err;
      auto name = a.param("name");
      if (!valid_env_name(name))
        return bad(a, "invalid variable name " + backticked(name));
      if (a.params.count("value") == 0)
        return bad(a, "the action names no value");
      auto c = container();
      if (!c)
        return c.error();
      auto change = workload_change(
        a,
        set_edit(
          with_keys(with_item(with_keys(*c, {"env"}), "name", name), {"value"}),
          yaml_value::quoted(a.param("value")), *c, {},
          {"image", "command", "args", "workingDir", "ports"}),
        object_change::field::env_value);
      change.detail = name;
      out.push_back(std::move(change));
      return out;
    }
    case action_type::restart: {
      if (auto err = check_params(a, {}))
        return err;
      if (!pod || kind == "Pod")
        return bad(a, "a " + (kind.empty() ? std::string{"manifest"} : kind)
                        + " has no pod template to restart");
      if (options.restart_timestamp.empty())
        return bad(a, "no timestamp for the " + backticked(restarted_at)
                        + " annotation (synthesis_options::restart_timestamp)");
      auto tmpl = yaml_path(pod->begin(), pod->end() - 1);
      out.push_back(workload_change(
        a, set_edit(with_keys(tmpl, {"metadata", "annotations", restarted_at}),
                    yaml_value::quoted(options.restart_timestamp), {}, {"spec"},
                    {"labels"})));
      return out;
    }
  }
  return out;
}

// -- objects and their layers -------------------------------------------------

/// An object of the GitOps files and its value before the plan.
struct object_state {
  manifest_location where;
  object_sources sources;
  /// The rendered object (scalars as strings).
  json before;
};

caf::expected<object_state> load_object(const std::vector<repo_file>& files,
                                        const manifest_location& where,
                                        const std::string& env) {
  auto sources = resolve_sources(files, where.path, where.document, env);
  if (!sources)
    return sources.error();
  auto before = render_object(*sources);
  if (!before)
    return before.error();
  return object_state{where, std::move(*sources), std::move(*before)};
}

/// The text a layer's document is in: the file, or the inline patch.
caf::expected<std::string> layer_text(const std::vector<repo_file>& files,
                                      const object_layer& l) {
  for (const auto& f : files) {
    if (f.path != l.path)
      continue;
    if (l.inline_at.empty())
      return f.content;
    auto docs = load_yaml_documents(f.content);
    if (!docs || docs->empty())
      return make_error(ec::invalid_input, l.path + " does not parse");
    return yaml_scalar(yaml_find(docs->front(), l.inline_at));
  }
  return make_error(ec::not_found, "no GitOps file " + l.path);
}

std::string describe(const object_layer& l) {
  auto out = std::string{to_string(l.type)} + " " + l.path;
  if (!l.inline_at.empty())
    out += " (inline at " + to_string(l.inline_at) + ")";
  return out;
}

/// A JSON pointer of `p` in `doc` (selectors resolved to indices; `-` for
/// items that do not exist).
std::string pointer_of(const json& doc, const yaml_path& p) {
  std::string out;
  const json* cur = &doc;
  for (const auto& s : p) {
    if (s.is_key()) {
      std::string key;
      for (auto c : s.key)
        key += c == '~'   ? std::string{"~0"}
               : c == '/' ? std::string{"~1"}
                          : std::string(1, c);
      out += "/" + key;
      cur = cur != nullptr && cur->is_object() && cur->contains(s.key)
              ? &(*cur)[s.key]
              : nullptr;
      continue;
    }
    const json* item = cur == nullptr ? nullptr : find_in_json(*cur, {s});
    if (item == nullptr)
      return out + "/-";
    for (size_t i = 0; i < cur->size(); ++i)
      if (&(*cur)[i] == item)
        out += "/" + std::to_string(i);
    cur = item;
  }
  return out;
}

bool overlaps(const std::string& a, const std::string& b) {
  auto prefix = [](const std::string& x, const std::string& y) {
    return x.size() > y.size() && x.compare(0, y.size(), y) == 0
           && x[y.size()] == '/';
  };
  return a == b || prefix(a, b) || prefix(b, a);
}

/// The layers that set the change's field, in order.
caf::expected<std::vector<size_t>> setters_of(const object_state& o,
                                              const object_change& c) {
  std::vector<size_t> out;
  const auto& layers = o.sources.layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    switch (l.type) {
      case object_layer::kind::resource:
      case object_layer::kind::strategic_patch:
        if (find_in_json(l.value, c.edit.path) != nullptr)
          out.push_back(i);
        break;
      case object_layer::kind::json6902_patch: {
        auto partial = render_object(o.sources, i);
        if (!partial)
          return partial.error();
        auto ptr = pointer_of(*partial, c.edit.path);
        for (const auto& op : l.value)
          for (const char* key : {"path", "from"})
            if (op.is_object() && op.contains(key) && op[key].is_string()
                && overlaps(op[key].get<std::string>(), ptr)
                && (out.empty() || out.back() != i))
              out.push_back(i);
        break;
      }
      case object_layer::kind::images: {
        if (c.what != object_change::field::image)
          break;
        auto partial = render_object(o.sources, i);
        if (!partial)
          return partial.error();
        const auto* image = find_in_json(*partial, c.edit.path);
        if (image != nullptr && image->is_string()
            && parse_image(image->get<std::string>()).name
                 == l.value.value("name", std::string{}))
          out.push_back(i);
        break;
      }
      case object_layer::kind::replicas:
        if (c.what == object_change::field::replicas)
          out.push_back(i);
        break;
    }
  }
  return out;
}

/// An edit of one layer's document.
struct routed_edit {
  std::string path;
  size_t document = 0;
  yaml_path inline_at;
  yaml_edit edit;
};

routed_edit at_layer(const object_layer& l, yaml_edit e) {
  return {l.path, l.document, l.inline_at, std::move(e)};
}

/// The edits of an `images:` entry that make it give `image`.
std::vector<routed_edit> image_entry_edits(const object_layer& l,
                                           const std::string& image) {
  auto entry = with_index(keys_path({"images"}), l.entry);
  auto wanted = parse_image(image);
  auto field = [&](const char* k) {
    return l.value.contains(k) ? l.value[k].get<std::string>() : std::string{};
  };
  auto current_name
    = field("newName").empty() ? field("name") : field("newName");
  std::vector<routed_edit> out;
  auto set = [&](const char* k, const std::string& v) {
    out.push_back(
      at_layer(l, set_edit(with_keys(entry, {k}), yaml_value::text(v), entry)));
  };
  auto remove = [&](const char* k) {
    if (l.value.contains(k))
      out.push_back(
        at_layer(l, {edit_op::remove, with_keys(entry, {k}), {}, 0, {}}));
  };
  if (wanted.name != current_name)
    set("newName", wanted.name);
  if (!wanted.digest.empty()) {
    set("digest", wanted.digest);
    remove("newTag");
  } else {
    if (!wanted.tag.empty())
      set("newTag", wanted.tag);
    else
      remove("newTag");
    remove("digest");
  }
  return out;
}

/// Where each change goes: the layer that sets the field's effective value,
/// else the last strategic-merge patch of the object, else the manifest.
caf::expected<std::vector<routed_edit>> route(const object_state& o,
                                              const object_change& c) {
  auto setters = setters_of(o, c);
  if (!setters)
    return setters.error();
  const auto& layers = o.sources.layers;
  auto refuse = [&](const object_layer& l) {
    return make_error(ec::unspecified,
                      c.action + ": the effective value of "
                        + to_string(c.edit.path) + " comes from the "
                        + describe(l) + ", which patch synthesis cannot edit");
  };
  if (c.edit.op == edit_op::remove) {
    if (setters->empty())
      return std::vector<routed_edit>{};
    const auto& l = layers[setters->back()];
    if (l.type != object_layer::kind::resource
        && l.type != object_layer::kind::strategic_patch)
      return refuse(l);
    // An overlay's patch overriding a value below it deletes it with null.
    if (l.type == object_layer::kind::strategic_patch && setters->size() > 1)
      return std::vector<routed_edit>{
        at_layer(l, {edit_op::set_null, c.edit.path, {}, 0, {}})};
    return std::vector<routed_edit>{at_layer(l, c.edit)};
  }
  if (!setters->empty()) {
    const auto& l = layers[setters->back()];
    switch (l.type) {
      case object_layer::kind::resource:
      case object_layer::kind::strategic_patch:
        return std::vector<routed_edit>{at_layer(l, c.edit)};
      case object_layer::kind::images:
        return image_entry_edits(l, c.edit.value.scalar);
      case object_layer::kind::replicas:
        return std::vector<routed_edit>{at_layer(
          l, set_edit(with_keys(with_index(keys_path({"replicas"}), l.entry),
                                {"count"}),
                      c.edit.value))};
      case object_layer::kind::json6902_patch:
        return refuse(l);
    }
  }
  // Nobody sets it: the overlay's own patch keeps it to that environment.
  size_t target = 0;
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].type == object_layer::kind::strategic_patch)
      target = i;
  return std::vector<routed_edit>{at_layer(layers[target], c.edit)};
}

// -- changes that need the manifests ------------------------------------------

/// The handler (`httpGet`, `tcpSocket`, `exec`, `grpc`) of another probe of
/// the container, copied as written, for a new `probe` block.
caf::expected<std::pair<std::string, yaml_value>>
copied_handler(const std::vector<repo_file>& files, const object_state& o,
               const yaml_path& container, const std::string& probe,
               const std::string& action) {
  const auto* c = find_in_json(o.before, container);
  for (const char* other : probe_keys) {
    if (probe == other || c == nullptr || !c->contains(other))
      continue;
    for (const char* h : probe_handlers) {
      auto path = with_keys(container, {other, h});
      const auto* effective = find_in_json(o.before, path);
      if (effective == nullptr)
        continue;
      object_change probe_change;
      probe_change.edit.path = path;
      auto setters = setters_of(o, probe_change);
      if (!setters)
        return setters.error();
      if (setters->empty())
        break;
      const auto& l = o.sources.layers[setters->back()];
      auto text = layer_text(files, l);
      if (!text)
        return text.error();
      auto docs = load_yaml_documents(*text);
      if (!docs || l.document >= docs->size())
        return make_error(ec::invalid_input, l.path + " does not parse");
      auto copied = copy_node(*text, yaml_find((*docs)[l.document], path));
      if (!copied)
        return make_error(ec::unspecified, action + ": cannot copy the " + h
                                             + " handler of " + other + " in "
                                             + l.path + ": "
                                             + message_of(copied.error()));
      if (to_json(*copied, false) != *effective)
        return make_error(ec::unspecified,
                          action + ": the " + h + " handler of " + other
                            + " is merged from several files; write the new "
                            + probe + " by hand");
      return std::pair{std::string{h}, std::move(*copied)};
    }
  }
  return make_error(ec::invalid_input,
                    action
                      + ": the container has no livenessProbe or "
                        "readinessProbe whose handler a new "
                      + probe + " could copy");
}

/// Expands and checks the workload changes against the rendered workload.
caf::expected<std::vector<object_change>>
resolve_workload(const std::vector<repo_file>& files, const object_state& o,
                 const std::vector<object_change>& changes,
                 const workload_ref& w) {
  std::vector<object_change> out;
  for (const auto& c : changes) {
    auto container = c.edit.path;
    if (!c.container.empty()) {
      // The container's own path: up to its selector.
      auto it = std::find_if(container.begin(), container.end(),
                             [](const path_step& s) {
                               return s.is_match();
                             });
      if (it != container.end())
        container.erase(it + 1, container.end());
      if (find_in_json(o.before, container) == nullptr) {
        std::vector<std::string> names;
        auto seq = container;
        seq.pop_back();
        if (const auto* cs = find_in_json(o.before, seq); cs && cs->is_array())
          for (const auto& x : *cs)
            names.push_back(x.value("name", std::string{"<unnamed>"}));
        return make_error(ec::not_found,
                          c.action + ": no container " + backticked(c.container)
                            + " in " + w.display() + "; containers: "
                            + (names.empty() ? "none" : join(names, ", ")));
      }
    }
    switch (c.what) {
      case object_change::field::env_value: {
        auto entry = c.edit.path;
        entry.pop_back();
        const auto* e = find_in_json(o.before, entry);
        if (e != nullptr && e->contains("valueFrom"))
          return make_error(ec::refused,
                            c.action + ": the variable " + backticked(c.detail)
                              + " comes from valueFrom (a Secret, ConfigMap or "
                                "field reference); set_env does not overwrite "
                                "it");
        out.push_back(c);
        break;
      }
      case object_change::field::probe_fields: {
        if (find_in_json(o.before, c.edit.path) != nullptr) {
          for (const auto& [field, value] : c.edit.value.entries) {
            auto one = c;
            one.what = object_change::field::plain;
            one.edit.path = with_keys(c.edit.path, {field});
            one.edit.value = value;
            out.push_back(std::move(one));
          }
          break;
        }
        auto handler = copied_handler(files, o, container, c.detail, c.action);
        if (!handler)
          return handler.error();
        auto block = c;
        block.what = object_change::field::plain;
        block.edit.value.entries.insert(block.edit.value.entries.begin(),
                                        std::move(*handler));
        out.push_back(std::move(block));
        break;
      }
      default:
        out.push_back(c);
    }
  }
  return out;
}

/// Resolves `hpa_target` changes for the HPA's API version.
caf::expected<std::vector<object_change>>
resolve_hpa(const object_state& o, const std::vector<object_change>& changes) {
  const auto& hpa = o.before;
  auto version = hpa.value("apiVersion", std::string{});
  auto name = hpa.value("metadata", json::object()).value("name", "");
  std::vector<object_change> out;
  for (auto c : changes) {
    if (c.what != object_change::field::hpa_target) {
      out.push_back(std::move(c));
      continue;
    }
    const auto& resource = c.detail;
    auto target = c.edit.value;
    c.what = object_change::field::plain;
    if (version == "autoscaling/v1") {
      if (resource != "cpu")
        return make_error(ec::invalid_input,
                          c.action
                            + ": the autoscaling/v1 "
                              "HorizontalPodAutoscaler "
                            + name + " has no " + resource
                            + " target (autoscaling/v2 has)");
      c.edit.path = keys_path({"spec", "targetCPUUtilizationPercentage"});
      out.push_back(std::move(c));
      continue;
    }
    auto v2beta1 = version == "autoscaling/v2beta1";
    auto metric
      = with_item(keys_path({"spec", "metrics"}), "resource.name", resource);
    const auto* existing = find_in_json(hpa, metric);
    if (existing != nullptr && existing->value("type", "") != "Resource")
      existing = nullptr;
    if (existing != nullptr) {
      if (v2beta1) {
        c.edit.path
          = with_keys(metric, {"resource", "targetAverageUtilization"});
      } else {
        auto type = (*existing)["resource"]
                      .value("target", json::object())
                      .value("type", std::string{"Utilization"});
        if (type != "Utilization")
          return make_error(ec::invalid_input, c.action + ": the " + resource
                                                 + " metric of " + name
                                                 + " targets " + type
                                                 + ", not Utilization");
        c.edit.path
          = with_keys(metric, {"resource", "target", "averageUtilization"});
      }
    } else {
      auto spec
        = v2beta1
            ? yaml_value::map({{"name", yaml_value::text(resource)},
                               {"targetAverageUtilization", target}})
            : yaml_value::map(
              {{"name", yaml_value::text(resource)},
               {"target",
                yaml_value::map({{"type", yaml_value::text("Utilization")},
                                 {"averageUtilization", target}})}});
      c.edit.path = metric;
      c.edit.value = yaml_value::map(
        {{"type", yaml_value::text("Resource")}, {"resource", spec}});
    }
    out.push_back(std::move(c));
  }
  return out;
}

// -- applying and checking ----------------------------------------------------

caf::expected<std::vector<repo_file>>
apply_routed(const std::vector<repo_file>& files,
             const std::vector<routed_edit>& edits) {
  struct group {
    std::string path;
    size_t document;
    yaml_path inline_at;
    std::vector<yaml_edit> edits;
  };
  std::vector<group> groups;
  for (const auto& e : edits) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const group& g) {
      return g.path == e.path && g.document == e.document
             && to_string(g.inline_at) == to_string(e.inline_at);
    });
    if (it == groups.end())
      groups.push_back({e.path, e.document, e.inline_at, {e.edit}});
    else
      it->edits.push_back(e.edit);
  }
  auto out = files;
  for (const auto& g : groups) {
    auto f = std::find_if(out.begin(), out.end(), [&](const repo_file& x) {
      return x.path == g.path;
    });
    if (f == out.end())
      return make_error(ec::not_found, "no GitOps file " + g.path);
    auto edited
      = g.inline_at.empty()
          ? apply_yaml_edits(f->content, g.document, g.edits)
          : apply_embedded_yaml_edits(f->content, 0, g.inline_at, g.edits);
    if (!edited)
      return make_error(code_of(edited.error()),
                        g.path + ": " + message_of(edited.error()));
    f->content = std::move(*edited);
  }
  return out;
}

/// Drops nulls and empty maps, which kustomize output and the API treat as
/// absent.
json normalized(const json& j) {
  if (j.is_array()) {
    auto out = json::array();
    for (const auto& x : j)
      out.push_back(normalized(x));
    return out;
  }
  if (!j.is_object())
    return j;
  auto out = json::object();
  for (const auto& [k, v] : j.items()) {
    auto n = normalized(v);
    if (!n.is_null() && !(n.is_object() && n.empty()))
      out[k] = std::move(n);
  }
  return out;
}

/// Checks that the object rendered from the edited files is the object
/// before with exactly `changes`.
caf::error verify_object(const std::vector<repo_file>& after,
                         const object_state& o,
                         const std::vector<object_change>& changes,
                         const std::string& env, const std::string& what) {
  auto now = load_object(after, o.where, env);
  if (!now)
    return now.error();
  auto expected = o.before;
  for (const auto& c : changes)
    apply_edit_to_json(expected, c.edit, false, false);
  auto want = normalized(expected);
  auto got = normalized(now->before);
  if (want == got)
    return {};
  std::string at;
  for (const auto& op : json::diff(want, got))
    at += (at.empty() ? "" : ", ") + op.value("path", std::string{});
  return make_error(
    ec::unspecified,
    "the edited files do not give " + what + " the plan's values"
      + (o.sources.overlay.empty()
           ? std::string{}
           : " in the kustomize build of " + o.sources.overlay + "/")
      + ": it differs at " + at);
}

/// The strategic-merge patch of `changes` (typed).
json strategic_patch(const std::vector<object_change>& changes) {
  auto p = json::object();
  for (const auto& c : changes)
    apply_edit_to_json(p, c.edit, true, true);
  return p;
}

std::string action_list(const plan& p) {
  std::vector<std::string> names;
  for (const auto& a : p.actions)
    names.emplace_back(to_string(a.type));
  return join(names, ", ");
}

caf::expected<patch> synthesize(const plan& p, const workload_ref& workload,
                                const std::vector<repo_file>& files,
                                const synthesis_options& options) {
  // The workload's manifest and kind.
  auto location = find_workload_manifest(files, workload);
  if (!location)
    return location.error();
  auto wl = load_object(files, *location, options.env);
  if (!wl)
    return wl.error();
  auto kind = wl->sources.kind;
  auto changes = plan_changes(p, kind, options);
  if (!changes)
    return changes.error();
  std::vector<object_change> on_workload;
  std::vector<object_change> on_hpa;
  for (const auto& c : *changes)
    (c.on == object_change::target::hpa ? on_hpa : on_workload).push_back(c);
  if (on_workload.empty() && on_hpa.empty())
    return make_error(ec::invalid_input, "no action changes a manifest");
  // The namespace: the alert's, else the manifest's.
  auto ns = workload.ns.empty() ? wl->before.value("metadata", json::object())
                                    .value("namespace", std::string{})
                                : workload.ns;
  workload_ref w{kind, ns, wl->sources.name};
  auto resolved = resolve_workload(files, *wl, on_workload, w);
  if (!resolved)
    return resolved.error();
  on_workload = std::move(*resolved);
  // The HPA, when the plan changes it.
  std::optional<object_state> hpa;
  if (!on_hpa.empty()) {
    manifest_query q{"HorizontalPodAutoscaler", "", w.ns,
                     [&](const YAML::Node& doc) {
                       auto ref = yaml_child(yaml_child(doc, "spec"),
                                             "scaleTargetRef");
                       return yaml_scalar(yaml_child(ref, "kind")) == kind
                              && yaml_scalar(yaml_child(ref, "name")) == w.name;
                     },
                     "a HorizontalPodAutoscaler targeting " + w.display()};
    auto where = find_manifest(files, q);
    if (!where)
      return where.error();
    auto loaded = load_object(files, *where, options.env);
    if (!loaded)
      return loaded.error();
    hpa = std::move(*loaded);
    auto r = resolve_hpa(*hpa, on_hpa);
    if (!r)
      return r.error();
    on_hpa = std::move(*r);
  }
  // Route and apply.
  std::vector<routed_edit> edits;
  for (const auto* group : {&on_workload, &on_hpa})
    for (const auto& c : *group) {
      auto routed = route(c.on == object_change::target::hpa ? *hpa : *wl, c);
      if (!routed)
        return routed.error();
      edits.insert(edits.end(), routed->begin(), routed->end());
    }
  auto after = apply_routed(files, edits);
  if (!after)
    return after.error();
  if (auto err
      = verify_object(*after, *wl, on_workload, options.env, w.display()))
    return err;
  if (hpa)
    if (auto err = verify_object(*after, *hpa, on_hpa, options.env,
                                 "the HorizontalPodAutoscaler"))
      return err;
  patch result;
  result.plan_id = p.id;
  for (size_t i = 0; i < files.size(); ++i)
    if ((*after)[i].content != files[i].content)
      result.files.push_back({files[i].path, files[i].content,
                              (*after)[i].content, files[i].last_commit_id});
  if (result.files.empty())
    return make_error(ec::invalid_input,
                      "the GitOps files already hold the plan's values");
  result.diff = unified_diff(result.files);
  if (!on_workload.empty()) {
    result.k8s_patch = strategic_patch(on_workload).dump();
    result.dry_run_targets.push_back(
      {api_path(kind, wl->before.value("apiVersion", ""), w.ns, w.name),
       result.k8s_patch});
  }
  if (hpa) {
    auto body = strategic_patch(on_hpa);
    auto metrics
      = std::any_of(on_hpa.begin(), on_hpa.end(), [](const object_change& c) {
          return c.edit.path.size() > 1 && c.edit.path[1].key == "metrics";
        });
    if (metrics) {
      // `metrics` has no merge key: the patch carries the whole list.
      auto typed = resolve_sources(*after, hpa->where.path, hpa->where.document,
                                   options.env, true);
      if (!typed)
        return typed.error();
      auto rendered = render_object(*typed);
      if (!rendered)
        return rendered.error();
      body["spec"]["metrics"] = (*rendered)["spec"]["metrics"];
    }
    const auto& meta = hpa->before["metadata"];
    result.dry_run_targets.push_back(
      {api_path("HorizontalPodAutoscaler", hpa->before.value("apiVersion", ""),
                w.ns, meta.value("name", "")),
       body.dump()});
  }
  return result;
}

bool has_fix_action(const plan& p) {
  return std::any_of(p.actions.begin(), p.actions.end(), [](const action& a) {
    return a.type != action_type::escalate;
  });
}

} // namespace

// -- public API ---------------------------------------------------------------

synthesis_options options_for(const enriched_alert& alert) {
  synthesis_options options;
  options.env = alert.env;
  if (alert.date_ms > 0)
    options.restart_timestamp = format_rfc3339_s(alert.date_ms / 1000);
  return options;
}

caf::expected<std::vector<object_change>>
plan_changes(const plan& p, const std::string& kind,
             const synthesis_options& options) {
  std::vector<object_change> out;
  for (const auto& a : p.actions) {
    auto cs = changes_of(a, kind, options);
    if (!cs)
      return cs.error();
    out.insert(out.end(), cs->begin(), cs->end());
  }
  return out;
}

std::string api_path(const std::string& kind, const std::string& api_version,
                     const std::string& ns, const std::string& name) {
  std::string prefix;
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"
      || kind == "ReplicaSet")
    prefix = "/apis/apps/v1";
  else if (kind == "Job" || kind == "CronJob")
    prefix = "/apis/batch/v1";
  else if (kind == "Pod")
    prefix = "/api/v1";
  else if (kind == "HorizontalPodAutoscaler")
    prefix
      = "/apis/"
        + (api_version.empty() ? std::string{"autoscaling/v2"} : api_version);
  else
    return {};
  std::string plural;
  for (auto c : kind)
    plural += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return prefix + "/namespaces/" + http::url_encode(ns) + "/" + plural + "s/"
         + http::url_encode(name);
}

caf::expected<std::string> strategic_patch_of(const plan& p,
                                              const workload_ref& workload) {
  auto changes = plan_changes(p, workload.kind);
  if (!changes)
    return changes.error();
  std::vector<object_change> on_workload;
  for (const auto& c : *changes) {
    if (c.on != object_change::target::workload)
      continue;
    if (c.what != object_change::field::probe_fields) {
      on_workload.push_back(c);
      continue;
    }
    for (const auto& [field, value] : c.edit.value.entries) {
      auto one = c;
      one.edit.path = with_keys(c.edit.path, {field});
      one.edit.value = value;
      on_workload.push_back(std::move(one));
    }
  }
  if (on_workload.empty())
    return make_error(ec::invalid_input,
                      "plan " + p.id + " does not change the workload");
  return strategic_patch(on_workload).dump();
}

caf::expected<patch> synthesize_patch(const plan& p,
                                      const workload_ref& workload,
                                      const std::vector<repo_file>& files,
                                      const synthesis_options& options) {
  try {
    auto made = synthesize(p, workload, files, options);
    if (made)
      return made;
    return make_error(code_of(made.error()),
                      "plan " + p.id + " (" + action_list(p)
                        + "): " + message_of(made.error()));
  } catch (const std::exception& e) {
    return make_error(ec::unspecified,
                      "plan " + p.id + ": patch synthesis failed: " + e.what());
  }
}

patch_set synthesize_all(const decision& d, const workload_ref& workload,
                         const std::vector<repo_file>& files,
                         const synthesis_options& options) {
  patch_set result;
  if (d.kind != decision_kind::fix)
    return result;
  for (const auto& p : d.plans) {
    if (!has_fix_action(p))
      continue;
    auto made = synthesize_patch(p, workload, files, options);
    if (made)
      result.patches.push_back(std::move(*made));
    else
      result.failures.emplace_back(p.id, render(made.error()));
  }
  return result;
}

} // namespace kfix::patching
