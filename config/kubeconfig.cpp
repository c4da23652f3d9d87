#include "config/kubeconfig.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kfix {

namespace {

namespace fs = std::filesystem;

/// Errors that name the file and the field.
struct kube_reader {
  std::string file;

  caf::error fail(const std::string& field, const std::string& what) const {
    return make_error(ec::invalid_config, file + ": " + field + ": " + what);
  }

  /// A string field ("" when absent); an error for a non-scalar.
  caf::error get(const YAML::Node& node, const std::string& field,
                 std::string& out) const {
    if (!node || node.IsNull())
      return caf::none;
    if (!node.IsScalar())
      return fail(field, "must be a string");
    out = node.Scalar();
    return caf::none;
  }

  caf::error get(const YAML::Node& node, const std::string& field,
                 bool& out) const {
    if (!node || node.IsNull())
      return caf::none;
    try {
      out = node.as<bool>();
    } catch (const YAML::Exception&) {
      return fail(field, "must be true or false");
    }
    return caf::none;
  }

  /// A relative path against the kubeconfig's folder.
  std::string resolve(const std::string& path) const {
    if (path.empty() || fs::path{path}.is_absolute())
      return path;
    return (fs::path{file}.parent_path() / path).lexically_normal().string();
  }

  /// The entry of `list` (clusters, users, contexts) named `name`.
  YAML::Node find(const YAML::Node& root, const char* list,
                  const std::string& name) const {
    auto entries = root[list];
    if (entries && entries.IsSequence())
      for (const auto& e : entries)
        if (e.IsMap() && e["name"] && e["name"].IsScalar()
            && e["name"].Scalar() == name)
          return e;
    return YAML::Node{YAML::NodeType::Undefined};
  }

  std::string names(const YAML::Node& root, const char* list) const {
    std::string result;
    auto entries = root[list];
    if (entries && entries.IsSequence())
      for (const auto& e : entries)
        if (e.IsMap() && e["name"] && e["name"].IsScalar())
          result += (result.empty() ? "" : ", ") + e["name"].Scalar();
    return result.empty() ? "none" : result;
  }
};

#define KFIX_KTRY(expr)                                                        \
  if (auto kfix_err_ = (expr))                                                 \
    return kfix_err_;

caf::error read_exec(const kube_reader& r, const YAML::Node& node,
                     const std::string& where, kube_exec_config& out) {
  if (!node.IsMap())
    return r.fail(where, "must be a mapping");
  KFIX_KTRY(r.get(node["apiVersion"], where + ".apiVersion", out.api_version));
  KFIX_KTRY(r.get(node["command"], where + ".command", out.command));
  if (out.command.empty())
    return r.fail(where + ".command", "missing");
  if (auto args = node["args"]; args && !args.IsNull()) {
    if (!args.IsSequence())
      return r.fail(where + ".args", "must be a list");
    for (const auto& a : args) {
      if (!a.IsScalar())
        return r.fail(where + ".args", "must be a list of strings");
      out.args.push_back(a.Scalar());
    }
  }
  if (auto env = node["env"]; env && !env.IsNull()) {
    if (!env.IsSequence())
      return r.fail(where + ".env", "must be a list");
    for (const auto& e : env) {
      std::string name;
      std::string value;
      KFIX_KTRY(r.get(e["name"], where + ".env.name", name));
      KFIX_KTRY(r.get(e["value"], where + ".env.value", value));
      if (name.empty())
        return r.fail(where + ".env", "an entry has no name");
      out.env.emplace_back(std::move(name), std::move(value));
    }
  }
  KFIX_KTRY(r.get(node["interactiveMode"], where + ".interactiveMode",
                  out.interactive_mode));
  if (out.interactive_mode == "Always")
    return r.fail(where + ".interactiveMode",
                  "Always needs a terminal; K-Fix runs unattended (use "
                  "Never or IfAvailable)");
  KFIX_KTRY(r.get(node["provideClusterInfo"], where + ".provideClusterInfo",
                  out.provide_cluster_info));
  return caf::none;
}

caf::error read_cluster(const kube_reader& r, const YAML::Node& cluster,
                        const std::string& where, kubeconfig_access& out) {
  if (!cluster.IsMap())
    return r.fail(where, "must be a mapping");
  KFIX_KTRY(r.get(cluster["server"], where + ".server", out.server));
  if (out.server.empty())
    return r.fail(where + ".server", "missing");
  KFIX_KTRY(r.get(cluster["certificate-authority"],
                  where + ".certificate-authority", out.ca_file));
  KFIX_KTRY(r.get(cluster["certificate-authority-data"],
                  where + ".certificate-authority-data", out.ca_data));
  if (!out.ca_file.empty() && !out.ca_data.empty())
    return r.fail(where, "certificate-authority and "
                         "certificate-authority-data are both set");
  out.ca_file = r.resolve(out.ca_file);
  KFIX_KTRY(r.get(cluster["insecure-skip-tls-verify"],
                  where + ".insecure-skip-tls-verify",
                  out.insecure_skip_tls_verify));
  KFIX_KTRY(r.get(cluster["tls-server-name"], where + ".tls-server-name",
                  out.tls_server_name));
  KFIX_KTRY(r.get(cluster["proxy-url"], where + ".proxy-url", out.proxy_url));
  return caf::none;
}

caf::error read_user(const kube_reader& r, const YAML::Node& user,
                     const std::string& where, kubeconfig_access& out) {
  if (!user.IsMap())
    return r.fail(where, "must be a mapping");
  if (user["auth-provider"])
    return r.fail(where + ".auth-provider",
                  "auth-provider plugins are not supported (kubectl removed "
                  "them in 1.26); use an exec credential plugin such as "
                  "gke-gcloud-auth-plugin or kubelogin");
  if (user["username"] || user["password"])
    return r.fail(where + ".username",
                  "basic authentication is not supported (removed from "
                  "Kubernetes in 1.19); use a token, a client certificate "
                  "or an exec plugin");
  KFIX_KTRY(r.get(user["token"], where + ".token", out.token));
  KFIX_KTRY(r.get(user["tokenFile"], where + ".tokenFile", out.token_file));
  out.token_file = r.resolve(out.token_file);
  KFIX_KTRY(r.get(user["client-certificate"], where + ".client-certificate",
                  out.client_cert_file));
  KFIX_KTRY(r.get(user["client-certificate-data"],
                  where + ".client-certificate-data", out.client_cert_data));
  KFIX_KTRY(
    r.get(user["client-key"], where + ".client-key", out.client_key_file));
  KFIX_KTRY(r.get(user["client-key-data"], where + ".client-key-data",
                  out.client_key_data));
  if (!out.client_cert_file.empty() && !out.client_cert_data.empty())
    return r.fail(where, "client-certificate and client-certificate-data are "
                         "both set");
  if (!out.client_key_file.empty() && !out.client_key_data.empty())
    return r.fail(where, "client-key and client-key-data are both set");
  auto has_cert
    = !out.client_cert_file.empty() || !out.client_cert_data.empty();
  auto has_key = !out.client_key_file.empty() || !out.client_key_data.empty();
  if (has_cert != has_key)
    return r.fail(where, has_cert ? "client-certificate without client-key"
                                  : "client-key without client-certificate");
  out.client_cert_file = r.resolve(out.client_cert_file);
  out.client_key_file = r.resolve(out.client_key_file);
  if (auto exec = user["exec"]; exec && !exec.IsNull()) {
    kube_exec_config cfg;
    KFIX_KTRY(read_exec(r, exec, where + ".exec", cfg));
    out.exec = std::move(cfg);
  }
  return caf::none;
}

} // namespace

caf::expected<kubeconfig_access> parse_kubeconfig(const std::string& text,
                                                  const std::string& file,
                                                  const std::string& context) {
  kube_reader r{file};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return r.fail("(line " + std::to_string(e.mark.line + 1) + ")",
                  "not YAML: " + e.msg);
  }
  if (!root.IsMap())
    return r.fail("(top level)", "must be a mapping (a kubeconfig)");
  kubeconfig_access result;
  result.file = file;
  result.context = context;
  if (result.context.empty())
    KFIX_KTRY(
      r.get(root["current-context"], "current-context", result.context));
  if (result.context.empty())
    return r.fail("current-context",
                  "not set; name a context in kubernetes.context (known: "
                    + r.names(root, "contexts") + ")");
  auto ctx = r.find(root, "contexts", result.context);
  if (!ctx)
    return r.fail("contexts", "no context named \"" + result.context
                                + "\" (known: " + r.names(root, "contexts")
                                + ")");
  auto where = "contexts[" + result.context + "].context";
  auto body = ctx["context"];
  if (!body || !body.IsMap())
    return r.fail(where, "missing");
  std::string cluster_name;
  std::string user_name;
  KFIX_KTRY(r.get(body["cluster"], where + ".cluster", cluster_name));
  KFIX_KTRY(r.get(body["user"], where + ".user", user_name));
  KFIX_KTRY(r.get(body["namespace"], where + ".namespace", result.ns));
  if (cluster_name.empty())
    return r.fail(where + ".cluster", "missing");
  auto cluster = r.find(root, "clusters", cluster_name);
  if (!cluster || !cluster["cluster"])
    return r.fail("clusters", "no cluster named \"" + cluster_name
                                + "\" (known: " + r.names(root, "clusters")
                                + ")");
  KFIX_KTRY(read_cluster(r, cluster["cluster"],
                         "clusters[" + cluster_name + "].cluster", result));
  if (!user_name.empty()) {
    auto user = r.find(root, "users", user_name);
    if (!user || !user["user"])
      return r.fail("users", "no user named \"" + user_name
                               + "\" (known: " + r.names(root, "users") + ")");
    KFIX_KTRY(
      read_user(r, user["user"], "users[" + user_name + "].user", result));
  }
  return result;
}

caf::expected<kubeconfig_access> load_kubeconfig(const std::string& path,
                                                 const std::string& context) {
  std::ifstream in{path};
  if (!in)
    return make_error(ec::invalid_config,
                      "kubernetes.kubeconfig: cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_kubeconfig(buf.str(), path, context);
}

} // namespace kfix
