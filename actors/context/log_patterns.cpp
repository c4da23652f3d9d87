#include "actors/context/log_patterns.hpp"

#include "actors/common/time_text.hpp"
#include "actors/context/log_redaction.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace kfix::context {

namespace {

struct replacement {
  std::unique_ptr<RE2> re;
  std::string with;
};

std::vector<replacement> make_replacements() {
  std::vector<replacement> result;
  RE2::Options opts;
  opts.set_log_errors(true);
  auto add = [&](const char* pattern, const char* with) {
    result.push_back({std::make_unique<RE2>(pattern, opts), with});
  };
  add(R"re([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-)re"
      R"re([0-9a-fA-F]{12})re",
      "<uuid>");
  add(R"re(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)re"
      R"re((?:Z|[+-]\d{2}:?\d{2})?)re",
      "<time>");
  add(R"re(\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?)re",
      "<time>");
  add(R"re(\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b)re", "<time>");
  add(R"re(\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b)re", "<ip>");
  add(R"re(\b0x[0-9a-fA-F]+\b)re", "<hex>");
  add(R"re(\b[0-9a-fA-F]{12,}\b)re", "<hex>");
  // Pod names: <workload>-<template hash>-<suffix>.
  add(R"re(-[a-z0-9]{6,10}-[a-z0-9]{5}\b)re", "-<id>");
  add(R"re(\b\d+(?:\.\d+)?)re", "<num>");
  add(R"re(\s+)re", " ");
  return result;
}

const std::vector<replacement>& replacements() {
  static const auto instance = make_replacements();
  return instance;
}

} // namespace

std::string log_template(std::string_view message) {
  std::string text{truncate_utf8(message, 4096)};
  for (const auto& r : replacements())
    if (r.re->ok())
      RE2::GlobalReplace(&text, *r.re, r.with);
  while (!text.empty() && text.front() == ' ')
    text.erase(text.begin());
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  text.resize(truncate_utf8(text, 300).size());
  return text;
}

log_pattern_builder::log_pattern_builder(size_t max_groups)
  : max_groups_(max_groups) {}

void log_pattern_builder::add(const log_record& record) {
  ++events_;
  auto tmpl = log_template(record.message);
  auto key = record.status + '\x1f' + record.service + '\x1f' + tmpl;
  auto i = groups_.find(key);
  auto ms = parse_rfc3339_ms(record.timestamp).value_or(0);
  if (i == groups_.end()) {
    if (groups_.size() >= max_groups_) {
      ++ungrouped_;
      return;
    }
    group g;
    g.pattern.pattern = std::move(tmpl);
    g.pattern.status = record.status;
    g.pattern.service = record.service;
    g.pattern.first_seen = record.timestamp;
    g.pattern.last_seen = record.timestamp;
    g.pattern.example = record.message;
    g.first_ms = ms;
    g.last_ms = ms;
    i = groups_.emplace(std::move(key), std::move(g)).first;
  } else {
    auto& g = i->second;
    if (ms < g.first_ms) {
      g.first_ms = ms;
      g.pattern.first_seen = record.timestamp;
    }
    if (ms > g.last_ms) {
      g.last_ms = ms;
      g.pattern.last_seen = record.timestamp;
      g.pattern.example = record.message;
    }
  }
  ++i->second.pattern.count;
}

std::vector<log_pattern> log_pattern_builder::finish(size_t cap) const {
  std::vector<const group*> order;
  order.reserve(groups_.size());
  for (const auto& [key, g] : groups_)
    order.push_back(&g);
  std::stable_sort(order.begin(), order.end(),
                   [](const group* x, const group* y) {
                     if (x->pattern.count != y->pattern.count)
                       return x->pattern.count > y->pattern.count;
                     return x->last_ms > y->last_ms;
                   });
  std::vector<log_pattern> result;
  for (const auto* g : order) {
    if (result.size() >= cap)
      break;
    result.push_back(g->pattern);
  }
  return result;
}

} // namespace kfix::context
