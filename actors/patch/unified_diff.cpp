#include "actors/patch/unified_diff.hpp"

#include <git2.h>

#include <string>

namespace kfix::patching {

namespace {

/// Initializes libgit2 exactly once per process (thread-safe through the
/// function-local static); libgit2 stays initialized until exit.
void ensure_libgit2() {
  static const int init_result = git_libgit2_init();
  (void)init_result;
}

/// Appends "-start" or "-start,count" as `git diff` writes hunk ranges.
void append_range(std::string& out, char sign, int start, int count) {
  out += sign;
  out += std::to_string(start);
  if (count != 1) {
    out += ',';
    out += std::to_string(count);
  }
}

struct diff_state {
  std::string out;
};

int on_hunk(const git_diff_delta*, const git_diff_hunk* hunk, void* payload) {
  auto& st = *static_cast<diff_state*>(payload);
  st.out += "@@ ";
  append_range(st.out, '-', hunk->old_start, hunk->old_lines);
  st.out += ' ';
  append_range(st.out, '+', hunk->new_start, hunk->new_lines);
  st.out += " @@\n";
  return 0;
}

int on_line(const git_diff_delta*, const git_diff_hunk*,
            const git_diff_line* line, void* payload) {
  auto& st = *static_cast<diff_state*>(payload);
  switch (line->origin) {
    case GIT_DIFF_LINE_CONTEXT:
    case GIT_DIFF_LINE_ADDITION:
    case GIT_DIFF_LINE_DELETION:
      st.out += line->origin;
      st.out.append(line->content, line->content_len);
      // A last line without newline ends the line here; the marker follows.
      if (line->content_len == 0
          || line->content[line->content_len - 1] != '\n')
        st.out += '\n';
      break;
    case GIT_DIFF_LINE_CONTEXT_EOFNL:
    case GIT_DIFF_LINE_ADD_EOFNL:
    case GIT_DIFF_LINE_DEL_EOFNL:
      st.out += "\\ No newline at end of file\n";
      break;
    default:
      break;
  }
  return 0;
}

} // namespace

std::string unified_diff(const std::string& path, const std::string& before,
                         const std::string& after) {
  if (before == after)
    return {};
  ensure_libgit2();
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  opts.context_lines = 3;
  opts.interhunk_lines = 0;
  opts.flags |= GIT_DIFF_FORCE_TEXT;
  diff_state st;
  st.out += before.empty() ? std::string{"--- /dev/null"} : "--- a/" + path;
  st.out += '\n';
  st.out += after.empty() ? std::string{"+++ /dev/null"} : "+++ b/" + path;
  st.out += '\n';
  auto header_size = st.out.size();
  auto rc = git_diff_buffers(before.data(), before.size(), path.c_str(),
                             after.data(), after.size(), path.c_str(), &opts,
                             nullptr, nullptr, on_hunk, on_line, &st);
  if (rc != 0 || st.out.size() == header_size) {
    // libgit2 failed (out of memory) or saw no textual change: fall back to
    // a whole-file hunk so that the caller never loses the change.
    // The libgit2 error itself is not reported: callers take a plain diff.
    st.out.resize(header_size);
    auto count_lines = [](const std::string& s) {
      int n = 0;
      for (auto c : s)
        n += c == '\n' ? 1 : 0;
      if (!s.empty() && s.back() != '\n')
        ++n;
      return n;
    };
    auto old_n = count_lines(before);
    auto new_n = count_lines(after);
    st.out += "@@ ";
    append_range(st.out, '-', old_n == 0 ? 0 : 1, old_n);
    st.out += ' ';
    append_range(st.out, '+', new_n == 0 ? 0 : 1, new_n);
    st.out += " @@\n";
    auto emit = [&](char sign, const std::string& s) {
      size_t begin = 0;
      while (begin < s.size()) {
        auto end = s.find('\n', begin);
        st.out += sign;
        if (end == std::string::npos) {
          st.out.append(s, begin, std::string::npos);
          st.out += "\n\\ No newline at end of file\n";
          break;
        }
        st.out.append(s, begin, end - begin + 1);
        begin = end + 1;
      }
    };
    emit('-', before);
    emit('+', after);
  }
  return st.out;
}

std::string unified_diff(const std::vector<file_change>& changes) {
  std::string result;
  for (const auto& change : changes)
    result += unified_diff(change.path, change.before, change.after);
  return result;
}

} // namespace kfix::patching
