#include "actors/system/supervisor.hpp"

#include "actors/common/log.hpp"
#include "actors/context/context_actor.hpp"
#include "actors/patch/patch_actor.hpp"
#include "actors/publish/publisher_actor.hpp"
#include "actors/reasoning/reasoning_actor.hpp"
#include "actors/safety/safety_actor.hpp"
#include "actors/store/store_actors.hpp"
#include "actors/system/coordinator.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace kfix {

namespace {

using restart_atom = caf::atom_constant<caf::atom("restart")>;
using self_ptr = caf::stateful_actor<supervisor_state>*;

constexpr int max_restarts = 20;

template <class Handle>
void watch(self_ptr self, const Handle& h, const std::string& role) {
  self->monitor(h);
  self->state.roles[caf::actor_cast<caf::actor_addr>(h)] = role;
}

/// Spawns (or respawns) one stage; returns false for an unknown role.
bool spawn_stage(self_ptr self, const services_ptr& services,
                 const std::string& role) {
  auto& s = self->state.stages;
  auto& sys = self->system();
  if (role == "context") {
    s.context = sys.spawn(context_stage, services);
    watch(self, s.context, role);
  } else if (role == "reasoning") {
    s.reasoning = sys.spawn<caf::detached>(reasoning_stage, services);
    watch(self, s.reasoning, role);
  } else if (role == "patch") {
    s.patch = sys.spawn<caf::detached>(patch_stage, services);
    watch(self, s.patch, role);
  } else if (role == "safety") {
    s.safety = sys.spawn<caf::detached>(safety_stage, services);
    watch(self, s.safety, role);
  } else if (role == "publisher") {
    s.publisher = sys.spawn<caf::detached>(publisher_stage, services);
    watch(self, s.publisher, role);
  } else if (role == "progress") {
    s.progress = sys.spawn<caf::detached>(progress_stage, services);
    watch(self, s.progress, role);
  } else {
    return false;
  }
  return true;
}

const std::vector<std::string>& stage_roles() {
  static const std::vector<std::string> roles{
    "progress", "context", "reasoning", "patch", "safety", "publisher"};
  return roles;
}

} // namespace

void stop_children(self_ptr self) {
  auto& s = self->state;
  auto reason = caf::exit_reason::user_shutdown;
  // Intake first, so that no new incident starts, then the rest.
  self->send_exit(s.intake, reason);
  self->send_exit(s.coordinator, reason);
  self->send_exit(s.stages.context, reason);
  self->send_exit(s.stages.reasoning, reason);
  self->send_exit(s.stages.patch, reason);
  self->send_exit(s.stages.safety, reason);
  self->send_exit(s.stages.publisher, reason);
  self->send_exit(s.stages.progress, reason);
  s.roles.clear();
}

caf::behavior supervisor(self_ptr self, services_ptr services) {
  for (const auto& role : stage_roles())
    spawn_stage(self, services, role);
  self->state.coordinator
    = self->system().spawn(coordinator, services, self->state.stages);
  watch(self, self->state.coordinator, "coordinator");
  self->state.intake = self->system().spawn<caf::detached>(
    intake_stage, services, self->state.coordinator);
  watch(self, self->state.intake, "intake");
  self->set_down_handler([=](caf::down_msg& dm) {
    auto i = self->state.roles.find(dm.source);
    if (i == self->state.roles.end())
      return;
    auto role = i->second;
    self->state.roles.erase(i);
    if (role == "intake" || role == "coordinator") {
      log::error("supervisor", "core-actor-down",
                 {{"role", role}, {"reason", to_string(dm.reason)}});
      stop_children(self);
      self->quit(dm.reason);
      return;
    }
    auto n = ++self->state.restarts[role];
    if (n > max_restarts) {
      log::error("supervisor", "restart-limit",
                 {{"role", role}, {"restarts", n}});
      stop_children(self);
      self->quit(dm.reason);
      return;
    }
    // Bounded backoff: 50 ms, 100 ms, ... up to 5 s.
    auto delay = std::chrono::milliseconds{
      std::min<int64_t>(5'000, 50LL << std::min(n - 1, 7))};
    log::warn("supervisor", "stage-down",
              {{"role", role},
               {"reason", to_string(dm.reason)},
               {"restart_in_ms", delay.count()}});
    self->delayed_send(self, delay, restart_atom::value, role);
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    stop_children(self);
    self->quit(msg.reason);
  });
  return {
    [=](restart_atom, const std::string& role) {
      if (!spawn_stage(self, services, role))
        return;
      log::info("supervisor", "stage-restarted", {{"role", role}});
      self->send(self->state.coordinator, atom::update::value,
                 self->state.stages);
    },
    [=](atom::status) {
      return self->state.intake;
    },
    [=](atom::process) {
      return self->state.coordinator;
    },
    [=](atom::stage, const std::string& role) -> caf::actor {
      // The current handle of a stage, for fault tests.
      const auto& s = self->state.stages;
      if (role == "context")
        return caf::actor_cast<caf::actor>(s.context);
      if (role == "reasoning")
        return caf::actor_cast<caf::actor>(s.reasoning);
      if (role == "patch")
        return caf::actor_cast<caf::actor>(s.patch);
      if (role == "safety")
        return caf::actor_cast<caf::actor>(s.safety);
      if (role == "publisher")
        return caf::actor_cast<caf::actor>(s.publisher);
      return caf::actor_cast<caf::actor>(s.progress);
    },
  };
}

} // namespace kfix
