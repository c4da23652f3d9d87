#include "actors/reasoning/llm_reasoner.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace kfix::reasoning {

namespace {

bool same_actions(const std::vector<action>& x, const std::vector<action>& y) {
  return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                    [](const action& a, const action& b) {
                      return a.type == b.type && a.container == b.container
                             && a.params == b.params;
                    });
}

/// Why a call gave no usable answer, for the incident's notes.
std::string describe_failure(const llm_exchange& ex, const llm_config& cfg) {
  const auto& r = ex.reply;
  auto attempts = " after " + std::to_string(ex.attempts) + " attempt"
                  + (ex.attempts == 1 ? "" : "s");
  switch (r.outcome) {
    case llm_outcome::refused:
      return "the LLM refused to answer: " + r.detail;
    case llm_outcome::truncated:
      return "the LLM's answer was truncated (" + r.detail
             + ", llm.max_output_tokens "
             + std::to_string(cfg.max_output_tokens) + ")";
    case llm_outcome::rate_limited:
      return "the LLM rate-limited the call" + attempts + " (" + r.detail + ")";
    case llm_outcome::timeout:
      return "the LLM call timed out" + attempts + " (" + r.detail + ")";
    case llm_outcome::unavailable:
      return "the LLM was unavailable" + attempts + " (" + r.detail + ")";
    case llm_outcome::stale:
      return "the recorded LLM answer is stale: " + r.detail;
    case llm_outcome::error:
      return "the LLM call failed: " + r.detail;
    case llm_outcome::ok:
    case llm_outcome::invalid:
      break;
  }
  return "the LLM gave no usable answer: " + r.detail;
}

std::string join(const std::vector<std::string>& items, size_t max,
                 const char* sep = "; ") {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max; ++i)
    out += (i == 0 ? "" : sep) + items[i];
  if (items.size() > max)
    out += sep + std::to_string(items.size() - max) + " more";
  return out;
}

/// The calls of one job: each is cut to the time left, audited and
/// counted.
class call_log {
public:
  call_log(const llm_job& job, completion_client& client,
           std::string prompt_version)
    : job_(job), client_(client), version_(std::move(prompt_version)),
      left_(job.budget) {}

  llm_usage usage;
  std::vector<store::llm_call_record> records;

  /// Makes the call, or returns nullopt without time for it.
  std::optional<llm_exchange> call(llm_request req) {
    const auto& cfg = *job_.cfg;
    auto per_attempt
      = std::min(cfg.timeout, left_ / std::max(cfg.max_attempts, 1));
    if (per_attempt < std::chrono::seconds{1})
      return std::nullopt;
    req.timeout = per_attempt;
    req.time_left = left_;
    auto ex = client_.complete(req);
    left_ -= std::chrono::milliseconds{ex.latency_ms};
    const auto& r = ex.reply;
    auto cost = cost_usd(cfg, r.prompt_tokens, r.output_tokens);
    if (ex.source != "stale") {
      ++usage.calls;
      usage.prompt_tokens += r.prompt_tokens;
      usage.output_tokens += r.output_tokens;
      usage.cost_usd += cost;
      usage.latency_ms += ex.latency_ms;
    }
    store::llm_call_record rec;
    rec.incident_id = job_.incident_id;
    rec.provider = cfg.provider;
    rec.model = cfg.model;
    rec.prompt_version = version_;
    rec.purpose = req.purpose;
    rec.request = ex.request_body;
    rec.response = ex.response_body;
    rec.http_status = ex.http_status;
    rec.outcome = std::string{to_string(r.outcome)};
    rec.prompt_tokens = r.prompt_tokens;
    rec.output_tokens = r.output_tokens;
    rec.cost_usd = cost;
    rec.latency_ms = ex.latency_ms;
    records.push_back(std::move(rec));
    return ex;
  }

  /// Marks the last call's answer as rejected by validation.
  void mark_invalid() {
    if (!records.empty())
      records.back().outcome = "invalid";
  }

private:
  const llm_job& job_;
  completion_client& client_;
  std::string version_;
  std::chrono::milliseconds left_;
};

/// The answer of an exchange, or its problems.
answer_check check_exchange(const llm_exchange& ex,
                            const answer_limits& limits) {
  if (ex.reply.outcome == llm_outcome::ok)
    return check_answer(ex.reply.text, limits);
  answer_check failed;
  failed.problems.push_back("answer: " + ex.reply.detail);
  return failed;
}

bool usable(const llm_exchange& ex) {
  return ex.reply.outcome == llm_outcome::ok
         || ex.reply.outcome == llm_outcome::invalid;
}

} // namespace

answer_limits limits_for(const enriched_alert& alert,
                         const context_bundle& bundle, const decision& rules) {
  answer_limits limits;
  limits.workload
    = bundle.workload_found ? bundle.workload.ref : alert.workload;
  if (bundle.workload_found)
    for (const auto& c : bundle.workload.containers)
      limits.containers.push_back(c.name);
  for (const auto& p : rules.plans)
    limits.candidate_ids.push_back(p.id);
  return limits;
}

decision compose_decision(const std::string& strategy, const llm_answer& answer,
                          const decision& rules) {
  decision d;
  d.strategy = strategy;
  d.kind = answer.kind;
  d.reason = answer.reason.empty()
               ? "the LLM decided " + std::string{to_string(answer.kind)}
               : answer.reason;
  std::set<std::string> kept;
  int next = 1;
  for (const auto& p : answer.plans) {
    auto base = std::find_if(rules.plans.begin(), rules.plans.end(),
                             [&](const plan& r) {
                               return r.id == p.based_on;
                             });
    bool based = base != rules.plans.end();
    if (based)
      kept.insert(base->id);
    if (based && same_actions(base->actions, p.value.actions)) {
      d.plans.push_back(*base);
      continue;
    }
    auto out = p.value;
    out.id = "l" + std::to_string(next++);
    out.source = based ? "llm: adjusted " + base->id : "llm";
    d.plans.push_back(std::move(out));
  }
  size_t appended = 0;
  if (strategy == "hybrid")
    for (const auto& r : rules.plans)
      if (kept.count(r.id) == 0) {
        d.plans.push_back(r);
        ++appended;
      }
  if (d.kind == decision_kind::no_action
      && rules.kind != decision_kind::no_action) {
    d.kind = decision_kind::escalate;
    d.notes.push_back("the LLM judged that nothing needs doing but the rules "
                      "did not: escalated for people to decide");
  }
  if (strategy == "hybrid") {
    d.notes.push_back("the LLM ranked and adjusted the rules' "
                      + std::to_string(rules.plans.size())
                      + " candidate plans; " + std::to_string(appended)
                      + " it did not keep follow its own");
    if (d.kind != decision_kind::fix && !d.plans.empty())
      d.notes.push_back("the LLM decided " + std::string{to_string(d.kind)}
                        + ": the plans stay listed as candidates only");
  } else {
    d.notes.push_back("the LLM proposed the plans; the rules' "
                      + std::to_string(rules.plans.size())
                      + " candidate plans were hints");
  }
  return d;
}

decision fall_back(const decision& rules, const std::string& why) {
  auto d = rules;
  d.strategy = "rules";
  d.notes.push_back(why + "; the rules' decision and plans are used");
  return d;
}

llm_result decide_with_llm(const llm_job& job, completion_client& client) {
  const auto& cfg = *job.cfg;
  const auto& rules = *job.rules;
  prompt_inputs in;
  in.alert = job.alert;
  in.bundle = job.bundle;
  in.rules = job.rules;
  in.strategy = job.strategy;
  in.similar = job.similar;
  in.token_budget = cfg.prompt_token_budget;
  auto prompt = fill_prompt(*job.prompt, in);
  auto limits = limits_for(*job.alert, *job.bundle, rules);
  llm_request req;
  req.system = prompt.system;
  req.turns.push_back({"user", prompt.user});
  req.schema = answer_schema(limits);
  call_log calls{job, client, prompt.version};
  std::vector<std::string> notes;
  notes.push_back("asked " + cfg.provider + " " + cfg.model + " with prompt "
                  + prompt.version + " (about "
                  + std::to_string(prompt.estimated_tokens) + " tokens)");
  if (prompt.logs_shown < prompt.logs_total
      || prompt.events_shown < prompt.events_total)
    notes.push_back("the prompt kept the most relevant "
                    + std::to_string(prompt.logs_shown) + " of "
                    + std::to_string(prompt.logs_total) + " log lines and "
                    + std::to_string(prompt.events_shown) + " of "
                    + std::to_string(prompt.events_total)
                    + " events within the token budget of "
                    + std::to_string(cfg.prompt_token_budget));
  auto finish = [&](decision d) {
    notes.insert(notes.end(), d.notes.begin(), d.notes.end());
    d.notes = std::move(notes);
    d.usage = calls.usage;
    return llm_result{std::move(d), std::move(calls.records)};
  };
  auto first = calls.call(req);
  if (!first)
    return finish(fall_back(rules, "no time was left for the LLM"));
  if (!usable(*first))
    return finish(fall_back(rules, describe_failure(*first, cfg)));
  auto checked = check_exchange(*first, limits);
  if (checked.answer)
    return finish(compose_decision(job.strategy, *checked.answer, rules));
  calls.mark_invalid();
  auto first_problems = join(checked.problems, 3);
  auto repair = calls.call(
    repair_request(req, first->reply.text,
                   fill_repair(*job.prompt, problem_list(checked.problems))));
  if (!repair)
    return finish(fall_back(rules, "the LLM's answer was invalid ("
                                     + first_problems
                                     + ") and no time was left to repair it"));
  if (!usable(*repair))
    return finish(fall_back(rules, "the LLM's answer was invalid ("
                                     + first_problems
                                     + "), then the repair failed: "
                                     + describe_failure(*repair, cfg)));
  auto repaired = check_exchange(*repair, limits);
  if (!repaired.answer) {
    calls.mark_invalid();
    return finish(fall_back(
      rules, "the LLM's answer was invalid twice (first: " + first_problems
               + "; after the repair: " + join(repaired.problems, 3) + ")"));
  }
  notes.push_back("the LLM's first answer was invalid (" + first_problems
                  + "); its repaired answer is used");
  return finish(compose_decision(job.strategy, *repaired.answer, rules));
}

} // namespace kfix::reasoning
