#pragma once

#include "actors/context/context_merge.hpp"
#include "messages/pipeline.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

/// Every typed actor interface of K-Fix, with its atoms. Actor names in
/// prose are in CAPS.
namespace kfix {

namespace atom {

using fetch = caf::atom_constant<caf::atom("fetch")>;
using plan = caf::atom_constant<caf::atom("plan")>;
using synthesize = caf::atom_constant<caf::atom("synth")>;
using validate = caf::atom_constant<caf::atom("validate")>;
using publish = caf::atom_constant<caf::atom("publish")>;
using notify = caf::atom_constant<caf::atom("notify")>;
using process = caf::atom_constant<caf::atom("process")>;
using stage = caf::atom_constant<caf::atom("stage")>;
using result = caf::atom_constant<caf::atom("result")>;
using update = caf::atom_constant<caf::atom("update")>;
using deadline = caf::atom_constant<caf::atom("deadline")>;
using status = caf::atom_constant<caf::atom("status")>;
using flush = caf::atom_constant<caf::atom("flush")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using note = caf::atom_constant<caf::atom("note")>;

} // namespace atom

/// One step of an incident's progress, for PROGRESS.
struct progress_step {
  int64_t incident_id = 0;
  incident_stage stage = incident_stage::received;
  std::string detail;
};

/// A context source's answer, for CONTEXT.
using context_part_ptr = std::shared_ptr<const context::context_part>;

/// INTAKE stores each alert (before its HTTP request is answered) and hands
/// new incidents to the COORDINATOR.
using intake_actor = caf::typed_actor<
  /// Queues an alert for the next group commit.
  caf::reacts_to<submission_ptr>,
  /// Stores every queued alert in one transaction, answers each request,
  /// starts new incidents and cancels recovered ones.
  caf::reacts_to<atom::flush>>;

/// A FETCHER asks one source (Kubernetes, Datadog) for its part of the
/// context, within the deadline (epoch milliseconds of the steady clock).
using fetcher_actor = caf::typed_actor<
  /// Fetches this source's part for a job.
  caf::replies_to<atom::fetch, job_ptr, int64_t>::with<context_part_ptr>>;

/// CONTEXT fans out to the FETCHERS and merges what arrived by the deadline.
using context_actor = caf::typed_actor<
  /// Builds the context bundle of a job.
  caf::replies_to<atom::fetch, job_ptr>::with<bundle_ptr>>;

/// REASONING turns a bundle into a decision with ranked plans.
using reasoning_actor = caf::typed_actor<
  /// Decides and plans for a job.
  caf::replies_to<atom::plan, job_ptr, bundle_ptr>::with<decision_ptr>>;

/// PATCH realises each fix plan as a change of the GitOps files.
using patch_actor = caf::typed_actor<
  /// Synthesises the patches of a decision's plans.
  caf::replies_to<atom::synthesize, job_ptr, bundle_ptr,
                  decision_ptr>::with<patch_set_ptr>>;

/// SAFETY judges every plan: rules, policy, quota, server-side dry-run.
using safety_actor = caf::typed_actor<
  /// Returns one verdict per plan, in plan order.
  caf::replies_to<atom::validate, job_ptr, bundle_ptr, decision_ptr,
                  patch_set_ptr>::with<verdicts_ptr>>;

/// PUBLISHER opens the merge request (GitLab or local git) and notifies.
using publisher_actor = caf::typed_actor<
  /// Publishes the chosen plan's patch of a finished incident.
  caf::replies_to<atom::publish, job_ptr, result_ptr>::with<publication_ptr>,
  /// Notifies people (Slack) of an incident's outcome.
  caf::reacts_to<atom::notify, result_ptr>,
  /// Comments on a merge request published earlier.
  caf::reacts_to<atom::note, mr_note>>;

/// PROGRESS records each incident's stages and result durably.
using progress_actor = caf::typed_actor<
  /// Records one step.
  caf::reacts_to<atom::stage, progress_step>,
  /// Records the final result.
  caf::reacts_to<atom::result, result_ptr>>;

/// The stage handles the COORDINATOR uses; the SUPERVISOR sends new ones
/// after restarting a stage.
struct stage_handles {
  context_actor context;
  reasoning_actor reasoning;
  patch_actor patch;
  safety_actor safety;
  publisher_actor publisher;
  progress_actor progress;
};

/// COORDINATOR runs each incident through the stages.
using coordinator_actor = caf::typed_actor<
  /// Runs one incident through the pipeline.
  caf::reacts_to<atom::process, job_ptr>,
  /// Replaces the stage handles (after a restart).
  caf::reacts_to<atom::update, stage_handles>,
  /// Cancels what is not yet published of an incident (it recovered).
  caf::reacts_to<atom::cancel, int64_t>,
  /// Passes a comment for a published merge request to PUBLISHER.
  caf::reacts_to<atom::note, mr_note>>;

} // namespace kfix

// Payloads are shared pointers to const values or callbacks: they never leave
// the process, so CAF need not serialise them.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::submission_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::job_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::bundle_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::decision_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::patch_set_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::verdicts_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::publication_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::result_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::context_part_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::progress_step)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::stage_handles)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kfix::mr_note)
