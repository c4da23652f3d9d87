#include "config/kubeconfig.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kfix {
namespace {

constexpr const char* two_contexts = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTg==
- name: dev
  cluster:
    server: https://dev.example:6443
    certificate-authority: certs/dev-ca.crt
    insecure-skip-tls-verify: true
    proxy-url: http://proxy:3128
users:
- name: k-fix
  user:
    token: abc.def
- name: dev-admin
  user:
    client-certificate: certs/admin.crt
    client-key: /etc/keys/admin.key
- name: dev-data
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
    tokenFile: token
contexts:
- name: prod
  context: {cluster: prod, user: k-fix, namespace: shop}
- name: dev
  context: {cluster: dev, user: dev-admin}
- name: dev-data
  context: {cluster: dev, user: dev-data}
)";

caf::expected<kubeconfig_access> parse(const std::string& text,
                                       const std::string& context = "") {
  return parse_kubeconfig(text, "/home/k/.kube/config", context);
}

std::string error_of(const std::string& text, const std::string& context = "") {
  auto r = parse(text, context);
  EXPECT_FALSE(r) << "expected an error";
  return r ? std::string{} : render(r.error());
}

TEST(Kubeconfig, CurrentContextWithTokenAndCaData) {
  auto kc = parse(two_contexts);
  ASSERT_TRUE(kc) << render(kc.error());
  EXPECT_EQ(kc->context, "prod");
  EXPECT_EQ(kc->server, "https://10.0.0.1:6443");
  EXPECT_EQ(kc->ca_data, "LS0tLS1CRUdJTg==");
  EXPECT_TRUE(kc->ca_file.empty());
  EXPECT_FALSE(kc->insecure_skip_tls_verify);
  EXPECT_EQ(kc->token, "abc.def");
  EXPECT_EQ(kc->ns, "shop");
  EXPECT_FALSE(kc->exec);
}

TEST(Kubeconfig, NamedContextWithClientCertificateFiles) {
  auto kc = parse(two_contexts, "dev");
  ASSERT_TRUE(kc) << render(kc.error());
  EXPECT_EQ(kc->server, "https://dev.example:6443");
  // Relative paths are relative to the kubeconfig.
  EXPECT_EQ(kc->ca_file, "/home/k/.kube/certs/dev-ca.crt");
  EXPECT_EQ(kc->client_cert_file, "/home/k/.kube/certs/admin.crt");
  EXPECT_EQ(kc->client_key_file, "/etc/keys/admin.key");
  EXPECT_TRUE(kc->insecure_skip_tls_verify);
  EXPECT_EQ(kc->proxy_url, "http://proxy:3128");
  EXPECT_TRUE(kc->token.empty());
  auto data = parse(two_contexts, "dev-data");
  ASSERT_TRUE(data) << render(data.error());
  EXPECT_EQ(data->client_cert_data, "Q0VSVA==");
  EXPECT_EQ(data->client_key_data, "S0VZ");
  EXPECT_EQ(data->token_file, "/home/k/.kube/token");
}

TEST(Kubeconfig, ExecPlugin) {
  auto kc = parse(R"(current-context: eks
clusters: [{name: c, cluster: {server: "https://eks.example"}}]
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, prod]
      env: [{name: AWS_PROFILE, value: prod}]
      interactiveMode: Never
      provideClusterInfo: true
contexts: [{name: eks, context: {cluster: c, user: u}}]
)");
  ASSERT_TRUE(kc) << render(kc.error());
  ASSERT_TRUE(kc->exec);
  EXPECT_EQ(kc->exec->command, "aws");
  EXPECT_EQ(kc->exec->args.size(), 4u);
  EXPECT_EQ(kc->exec->env.at(0).first, "AWS_PROFILE");
  EXPECT_EQ(kc->exec->api_version, "client.authentication.k8s.io/v1beta1");
  EXPECT_TRUE(kc->exec->provide_cluster_info);
}

TEST(Kubeconfig, RefusedAndBrokenConfigsNameTheField) {
  auto with_user = [](const std::string& user) {
    return "current-context: x\n"
           "clusters: [{name: c, cluster: {server: https://a}}]\n"
           "users: [{name: u, user: "
           + user
           + "}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n";
  };
  auto err = error_of(with_user("{auth-provider: {name: gcp}}"));
  EXPECT_NE(err.find("/home/k/.kube/config: users[u].user.auth-provider: "
                     "auth-provider plugins are not supported"),
            std::string::npos)
    << err;
  EXPECT_NE(err.find("exec"), std::string::npos);
  err = error_of(with_user("{username: admin, password: x}"));
  EXPECT_NE(err.find("users[u].user.username: basic authentication is not "
                     "supported"),
            std::string::npos)
    << err;
  err = error_of(with_user("{exec: {command: x, interactiveMode: Always}}"));
  EXPECT_NE(err.find("users[u].user.exec.interactiveMode"), std::string::npos)
    << err;
  err = error_of(with_user("{exec: {args: [a]}}"));
  EXPECT_NE(err.find("users[u].user.exec.command: missing"), std::string::npos)
    << err;
  err = error_of(with_user("{client-certificate: a.crt}"));
  EXPECT_NE(err.find("client-certificate without client-key"),
            std::string::npos)
    << err;
  err = error_of(with_user("{client-key: a, client-key-data: Yg==, "
                           "client-certificate: c}"));
  EXPECT_NE(err.find("client-key and client-key-data are both set"),
            std::string::npos)
    << err;
  err = error_of(two_contexts, "staging");
  EXPECT_NE(err.find("contexts: no context named \"staging\" (known: prod, "
                     "dev, dev-data)"),
            std::string::npos)
    << err;
  err
    = error_of("clusters: []\ncontexts: [{name: a, context: {cluster: c}}]\n");
  EXPECT_NE(err.find("current-context: not set"), std::string::npos) << err;
  err = error_of("current-context: a\nclusters: [{name: c, cluster: {}}]\n"
                 "contexts: [{name: a, context: {cluster: c}}]\n");
  EXPECT_NE(err.find("clusters[c].cluster.server: missing"), std::string::npos)
    << err;
  err = error_of("current-context: a\n"
                 "contexts: [{name: a, context: {cluster: nope}}]\n");
  EXPECT_NE(err.find("no cluster named \"nope\""), std::string::npos) << err;
  err = error_of("current-context: [unclosed\n");
  EXPECT_NE(err.find("/home/k/.kube/config"), std::string::npos) << err;
  EXPECT_FALSE(load_kubeconfig("/nonexistent/kubeconfig", ""));
}

} // namespace
} // namespace kfix
