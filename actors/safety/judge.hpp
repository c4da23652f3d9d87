#pragma once

#include "actors/common/http_client.hpp"
#include "actors/safety/policy.hpp"
#include "config/config.hpp"
#include "messages/pipeline.hpp"

#include <vector>

namespace kfix::safety {

/// One verdict per plan of the decision: the safety rules and policy, the
/// patch synthesis outcome, and, for plans that pass so far and when a
/// cluster is reachable, a server-side dry run.
/// `facts` feed the policy engine (env, circuit breaker, auto-merge
/// calibration); an accepted plan's verdict says whether it may
/// auto-merge.
std::vector<verdict> judge(const decision& d, const context_bundle& bundle,
                           const patch_set& patches,
                           const incident_endpoints& endpoints,
                           const workload_ref& workload,
                           const agent_config& cfg, http::client* client,
                           const policy_facts& facts = {});

} // namespace kfix::safety
