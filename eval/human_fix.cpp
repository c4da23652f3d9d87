#include "eval/human_fix.hpp"

#include "actors/common/quantity.hpp"
#include "eval/sim/yaml_json.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

namespace kfix::eval {

namespace {

struct text_lines {
  std::vector<std::string> lines;
  bool trailing_newline = true;
};

text_lines split_lines(const std::string& text) {
  text_lines out;
  std::string line;
  std::istringstream in{text};
  while (std::getline(in, line))
    out.lines.push_back(line);
  out.trailing_newline = text.empty() || text.back() == '\n';
  return out;
}

std::string join_lines(const text_lines& t) {
  std::string out;
  for (size_t i = 0; i < t.lines.size(); ++i) {
    out += t.lines[i];
    if (i + 1 < t.lines.size() || t.trailing_newline)
      out += '\n';
  }
  return out;
}

/// "a/apps/x.yaml" -> "apps/x.yaml"; "/dev/null" stays.
std::string diff_path(std::string_view header) {
  auto path = std::string{header};
  if (auto tab = path.find('\t'); tab != std::string::npos)
    path.resize(tab);
  if (path.rfind("a/", 0) == 0 || path.rfind("b/", 0) == 0)
    path = path.substr(2);
  return path;
}

/// Parses "@@ -12,3 +12,4 @@"; false when malformed.
bool parse_hunk_header(const std::string& line, long& old_start) {
  if (line.rfind("@@ -", 0) != 0)
    return false;
  char* end = nullptr;
  old_start = std::strtol(line.c_str() + 4, &end, 10);
  return end != line.c_str() + 4;
}

} // namespace

caf::expected<std::map<std::string, std::string>>
apply_unified_diff(std::map<std::string, std::string> files,
                   const std::string& diff) {
  auto lines = split_lines(diff).lines;
  size_t i = 0;
  while (i < lines.size()) {
    if (lines[i].rfind("--- ", 0) != 0) {
      ++i;
      continue;
    }
    if (i + 1 >= lines.size() || lines[i + 1].rfind("+++ ", 0) != 0)
      return make_error(ec::invalid_input, "diff line " + std::to_string(i + 1)
                                             + ": `---` without `+++`");
    auto old_path = diff_path(std::string_view{lines[i]}.substr(4));
    auto new_path = diff_path(std::string_view{lines[i + 1]}.substr(4));
    i += 2;
    text_lines original;
    if (old_path != "/dev/null") {
      auto f = files.find(old_path);
      if (f == files.end())
        return make_error(ec::invalid_input,
                          "diff: " + old_path + " is not a GitOps file");
      original = split_lines(f->second);
    }
    text_lines result;
    result.trailing_newline = original.trailing_newline;
    size_t cursor = 0; // next unread line of `original`
    int hunk = 0;
    while (i < lines.size() && lines[i].rfind("@@ ", 0) == 0) {
      ++hunk;
      long start = 0;
      if (!parse_hunk_header(lines[i], start))
        return make_error(ec::invalid_input, "diff: " + old_path + " hunk "
                                               + std::to_string(hunk)
                                               + ": bad header");
      // Zero-length old ranges name the line before the insertion.
      size_t at = start > 0 ? static_cast<size_t>(start - 1) : 0;
      if (lines[i].find(",0 ") != std::string::npos && start > 0)
        at = static_cast<size_t>(start);
      if (at < cursor || at > original.lines.size())
        return make_error(ec::invalid_input, "diff: " + old_path + " hunk "
                                               + std::to_string(hunk)
                                               + ": out of range");
      for (; cursor < at; ++cursor)
        result.lines.push_back(original.lines[cursor]);
      ++i;
      for (; i < lines.size(); ++i) {
        const auto& l = lines[i];
        if (l.rfind("@@ ", 0) == 0 || l.rfind("--- ", 0) == 0)
          break;
        if (l.rfind("\\", 0) == 0) { // \ No newline at end of file
          result.trailing_newline = false;
          continue;
        }
        char op = l.empty() ? ' ' : l[0];
        auto body = l.empty() ? std::string{} : l.substr(1);
        if (op == '+') {
          result.lines.push_back(body);
          continue;
        }
        if (op != ' ' && op != '-')
          break; // the diff's trailer (a git footer)
        if (cursor >= original.lines.size() || original.lines[cursor] != body)
          return make_error(
            ec::invalid_input,
            "diff: " + old_path + " hunk " + std::to_string(hunk) + ": line "
              + std::to_string(cursor + 1) + " does not match the file");
        if (op == ' ')
          result.lines.push_back(body);
        ++cursor;
      }
    }
    for (; cursor < original.lines.size(); ++cursor)
      result.lines.push_back(original.lines[cursor]);
    if (new_path == "/dev/null")
      files.erase(old_path);
    else
      files[new_path] = join_lines(result);
    if (old_path != new_path && old_path != "/dev/null")
      files.erase(old_path);
  }
  return files;
}

namespace {

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string())
    return v.get<std::string>();
  return v.dump();
}

void flatten(const nlohmann::json& v, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.items())
      flatten(child, prefix + "/" + key, out);
    return;
  }
  if (v.is_array()) {
    bool named = !v.empty();
    for (const auto& e : v)
      named
        = named && e.is_object() && e.contains("name") && e["name"].is_string();
    for (size_t i = 0; i < v.size(); ++i)
      flatten(v[i],
              prefix + "/"
                + (named ? v[i]["name"].get<std::string>() : std::to_string(i)),
              out);
    return;
  }
  out[prefix] = scalar_text(v);
}

bool is_yaml(const std::string& path) {
  auto ends = [&](const char* suffix) {
    std::string s{suffix};
    return path.size() >= s.size()
           && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".yaml") || ends(".yml");
}

bool close_values(const std::string& a, const std::string& b) {
  if (a == b)
    return true;
  auto qa = parse_quantity(a);
  auto qb = parse_quantity(b);
  if (!qa || !qb)
    return false;
  auto x = static_cast<double>(qa->millis());
  auto y = static_cast<double>(qb->millis());
  auto scale = std::max(std::abs(x), std::abs(y));
  return scale == 0 || std::abs(x - y) <= 0.1 * scale;
}

} // namespace

std::map<std::string, std::string>
manifest_fields(const std::map<std::string, std::string>& files) {
  std::map<std::string, std::string> out;
  for (const auto& [path, content] : files) {
    if (!is_yaml(path))
      continue;
    auto docs = sim::parse_yaml_documents(content, path);
    if (!docs)
      continue;
    for (const auto& d : *docs) {
      const auto& doc = d.value;
      if (!doc.is_object() || !doc.contains("kind"))
        continue;
      std::string name;
      if (doc.contains("metadata") && doc["metadata"].is_object()
          && doc["metadata"].contains("name"))
        name = scalar_text(doc["metadata"]["name"]);
      auto prefix = scalar_text(doc["kind"]) + "/" + name;
      for (const auto& [key, child] : doc.items())
        if (key != "metadata" && key != "status" && key != "kind"
            && key != "apiVersion")
          flatten(child, prefix + "/" + key, out);
    }
  }
  return out;
}

std::map<std::string, std::string>
changed_fields(const std::map<std::string, std::string>& before,
               const std::map<std::string, std::string>& after) {
  auto old_fields = manifest_fields(before);
  auto new_fields = manifest_fields(after);
  std::map<std::string, std::string> changed;
  for (const auto& [path, value] : new_fields) {
    auto i = old_fields.find(path);
    if (i == old_fields.end() || i->second != value)
      changed[path] = value;
  }
  for (const auto& [path, value] : old_fields)
    if (new_fields.count(path) == 0)
      changed[path] = "<removed>";
  return changed;
}

std::optional<double>
field_closeness(const std::map<std::string, std::string>& human,
                const std::map<std::string, std::string>& proposed) {
  std::set<std::string> paths;
  for (const auto& [p, v] : human)
    paths.insert(p);
  for (const auto& [p, v] : proposed)
    paths.insert(p);
  if (paths.empty())
    return std::nullopt;
  double score = 0;
  for (const auto& p : paths) {
    auto h = human.find(p);
    auto o = proposed.find(p);
    if (h == human.end() || o == proposed.end())
      continue;
    score += close_values(h->second, o->second) ? 1.0 : 0.5;
  }
  return score / static_cast<double>(paths.size());
}

caf::expected<double> human_fix_closeness(const std::vector<repo_file>& gitops,
                                          const std::string& human_diff,
                                          const patch* proposed) {
  std::map<std::string, std::string> before;
  for (const auto& f : gitops)
    before[f.path] = f.content;
  auto human = apply_unified_diff(before, human_diff);
  if (!human)
    return human.error();
  auto ours = before;
  if (proposed != nullptr)
    for (const auto& f : proposed->files)
      ours[f.path] = f.after;
  auto score = field_closeness(changed_fields(before, *human),
                               changed_fields(before, ours));
  return score.value_or(0.0);
}

} // namespace kfix::eval
