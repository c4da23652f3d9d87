#pragma once

#include "messages/patch.hpp"
#include "messages/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

/// Helpers of the patch tests: test data, GitOps trees, and expected outputs
/// written as line operations on the input.
namespace kfix::patch_test {

inline const std::filesystem::path data_dir
  = std::filesystem::path{KFIX_SOURCE_DIR} / "tests/data/patch";

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// A file of tests/data/patch (the test fails when it is missing).
inline std::string data(const std::string& name) {
  auto text = slurp(data_dir / name);
  EXPECT_FALSE(text.empty()) << "missing test data " << name;
  return text;
}

/// Every file below `root`, paths relative to it, sorted by path.
inline std::vector<repo_file> read_tree(const std::filesystem::path& root) {
  std::vector<repo_file> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
    if (entry.is_regular_file())
      files.push_back(
        {std::filesystem::relative(entry.path(), root).generic_string(),
         slurp(entry.path()), ""});
  std::sort(files.begin(), files.end(),
            [](const repo_file& a, const repo_file& b) {
              return a.path < b.path;
            });
  return files;
}

/// An action of the vocabulary.
inline action act(action_type type, std::string container,
                  std::map<std::string, std::string> params = {}) {
  action a;
  a.type = type;
  a.container = std::move(container);
  a.params = std::move(params);
  return a;
}

/// A plan of `actions`.
inline plan plan_of(std::vector<action> actions, std::string id = "p1") {
  plan p;
  p.id = std::move(id);
  p.title = "test plan";
  p.actions = std::move(actions);
  return p;
}

/// Splits into lines, each with its line ending.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> result;
  size_t begin = 0;
  while (begin < text.size()) {
    auto end = text.find('\n', begin);
    end = end == std::string::npos ? text.size() : end + 1;
    result.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return result;
}

/// One hand-written change of the input, by 1-based line number of the
/// input. New lines are given without line ending; the test adds `eol`.
struct line_op {
  enum kind_t { replace, insert_after, erase } kind;
  size_t line;
  std::vector<std::string> lines; // replace: exactly one; erase: none
  size_t last = 0;                // erase: last line (inclusive)
};

inline line_op replace(size_t line, std::string text) {
  return {line_op::replace, line, {std::move(text)}};
}

inline line_op insert_after(size_t line, std::vector<std::string> lines) {
  return {line_op::insert_after, line, std::move(lines)};
}

inline line_op erase(size_t first, size_t last) {
  return {line_op::erase, first, {}, last};
}

/// Builds the expected text; a line with no ending (the last) keeps none,
/// and lines inserted after it give it `eol`.
inline std::string expected_text(const std::string& input,
                                 const std::vector<line_op>& ops,
                                 const std::string& eol = "\n") {
  auto in = lines_of(input);
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    auto no = i + 1;
    auto line = in[i];
    auto ending
      = line.size() >= eol.size()
            && line.compare(line.size() - eol.size(), eol.size(), eol) == 0
          ? eol
          : std::string{};
    bool erased = false;
    std::vector<std::string> inserted;
    for (const auto& op : ops) {
      if (op.kind == line_op::replace && op.line == no)
        line = op.lines.front() + ending;
      if (op.kind == line_op::erase && op.line <= no && no <= op.last)
        erased = true;
      if (op.kind == line_op::insert_after && op.line == no)
        inserted = op.lines;
    }
    if (erased)
      continue;
    if (!inserted.empty() && ending.empty()) {
      // The last line gets a line ending; the last inserted line none.
      out += line + eol;
      for (size_t k = 0; k < inserted.size(); ++k)
        out += inserted[k] + (k + 1 < inserted.size() ? eol : "");
      continue;
    }
    out += line;
    for (const auto& l : inserted)
      out += l + eol;
  }
  return out;
}

} // namespace kfix::patch_test
