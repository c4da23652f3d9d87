#include "actors/context/log_redaction.hpp"

#include <re2/re2.h>

#include <functional>
#include <memory>
#include <vector>

namespace kfix::context {

namespace {

using groups = std::vector<re2::StringPiece>;

/// Appends the replacement of one match to `out`.
using rewriter = std::function<void(const groups&, std::string&)>;

struct rule {
  std::unique_ptr<RE2> re;
  rewriter rewrite;
};

std::string_view view(const re2::StringPiece& x) {
  return {x.data(), x.size()};
}

/// Replaces every non-overlapping match of `re` in `text`, left to right.
std::string replace_each(std::string_view text, const RE2& re,
                         const rewriter& rewrite) {
  auto n = re.NumberOfCapturingGroups() + 1;
  groups match(static_cast<size_t>(n));
  re2::StringPiece input(text.data(), text.size());
  std::string out;
  size_t pos = 0;
  while (
    pos <= text.size()
    && re.Match(input, pos, text.size(), RE2::UNANCHORED, match.data(), n)) {
    auto start = static_cast<size_t>(match[0].data() - text.data());
    auto end = start + match[0].size();
    out.append(text.substr(pos, start - pos));
    rewrite(match, out);
    if (end == start) {
      // An empty match: copy one byte and move on.
      if (end < text.size())
        out.push_back(text[end]);
      pos = end + 1;
    } else {
      pos = end;
    }
  }
  if (pos < text.size())
    out.append(text.substr(pos));
  return out;
}

rewriter whole() {
  return [](const groups&, std::string& out) {
    out.append(redacted_marker);
  };
}

/// Keeps group 1 (a key, a prefix) and redacts the rest.
rewriter keep_first() {
  return [](const groups& g, std::string& out) {
    out.append(view(g[1]));
    out.append(redacted_marker);
  };
}

/// Keeps groups 1 and 2 separated by a space and redacts the rest
/// ("Bearer <redacted>").
rewriter keep_scheme() {
  return [](const groups& g, std::string& out) {
    out.append(view(g[1]));
    out.push_back(' ');
    out.append(redacted_marker);
  };
}

bool is_lower_word(std::string_view x) {
  if (x.empty())
    return false;
  for (auto c : x)
    if (c < 'a' || c > 'z')
      return false;
  return true;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size())
    return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    auto match = true;
    for (size_t j = 0; j < needle.size() && match; ++j) {
      auto c = haystack[i + j];
      if (c >= 'A' && c <= 'Z')
        c = static_cast<char>(c - 'A' + 'a');
      match = c == needle[j];
    }
    if (match)
      return true;
  }
  return false;
}

/// `key=value` and `key: value`. With `=` the value always goes; with `:` a
/// plain lower-case word after a token-ish key stays ("token: expired"),
/// since that is prose more often than a secret.
rewriter key_value() {
  return [](const groups& g, std::string& out) {
    auto key = view(g[1]);
    auto sep = view(g[2]);
    auto value = view(g[3]);
    auto password_like = contains_ci(key, "pass") || contains_ci(key, "pwd")
                         || contains_ci(key, "secret")
                         || contains_ci(key, "credential");
    if (sep.find(':') != std::string_view::npos && !password_like
        && is_lower_word(value)) {
      out.append(view(g[0]));
      return;
    }
    out.append(key);
    out.append(sep);
    out.append(redacted_marker);
  };
}

/// Card-like digit runs that pass the Luhn check.
rewriter card() {
  return [](const groups& g, std::string& out) {
    auto text = view(g[0]);
    size_t digits = 0;
    for (auto c : text)
      if (c >= '0' && c <= '9')
        ++digits;
    if (digits >= 13 && digits <= 19 && luhn_valid(text))
      out.append(redacted_marker);
    else
      out.append(text);
  };
}

// Names of keys whose values are secrets. A prefix is allowed
// (`DB_PASSWORD`, `client_secret`, `x-api-key`), a suffix is not, so
// `tokens`, `max_tokens` and `secretName` stay.
constexpr std::string_view secret_key
  = R"re([A-Za-z0-9_.\-]*?(?:password|passwd|pwd|secret|token|api[_\-]?key|)re"
    R"re(apikey|access[_\-]?key|secret[_\-]?key|private[_\-]?key|)re"
    R"re(credentials?))re";

std::vector<rule> make_rules() {
  std::vector<rule> rules;
  RE2::Options opts;
  opts.set_log_errors(true);
  auto add = [&](std::string pattern, rewriter fn) {
    rules.push_back({std::make_unique<RE2>(pattern, opts), std::move(fn)});
  };
  auto key = std::string{secret_key};
  // PEM private keys, whole or cut off.
  add(R"re((?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE )re"
      R"re(KEY-----)re",
      whole());
  add(R"re(-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s\\]*)re", whole());
  // JSON Web Tokens.
  add(R"re(\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*)re",
      whole());
  // Vendor tokens: GitHub, GitLab, Slack, OpenAI/Anthropic-style keys.
  add(R"re(\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|)re"
      R"re(glpat-[A-Za-z0-9_\-]{20,}|xox[abposr]-[A-Za-z0-9\-]{10,}|)re"
      R"re(sk-[A-Za-z0-9_\-]{20,}))re",
      whole());
  // AWS access key ids.
  add(R"re(\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b)re",
      whole());
  // Bearer tokens, and other Authorization schemes.
  add(R"re((?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*)re", keep_scheme());
  add(R"re((?i)(\bauthorization\s*[:=]\s*"?(?:basic|digest|negotiate))\s+)re"
      R"re([A-Za-z0-9\-._~+/]+=*)re",
      keep_scheme());
  add(R"re((?i)(\bauthorization\s*[:=]\s*"?)[A-Za-z0-9\-._~+/]{16,}=*)re",
      keep_first());
  // Credentials in URLs: scheme://user:password@host.
  add(R"re(([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]+:)[^@\s/]+@)re",
      [](const groups& g, std::string& out) {
        out.append(view(g[1]));
        out.append(redacted_marker);
        out.push_back('@');
      });
  // JSON: "password": "...", plain and escaped inside a string.
  add(R"re((?i)(")re" + key + R"re("\s*:\s*)"(?:[^"\\]|\\.)*")re",
      [](const groups& g, std::string& out) {
        out.append(view(g[1]));
        out.push_back('"');
        out.append(redacted_marker);
        out.push_back('"');
      });
  add(R"re((?i)(\\")re" + key + R"re(\\"\s*:\s*)\\"(?:[^"\\]|\\[^"])*\\")re",
      [](const groups& g, std::string& out) {
        out.append(view(g[1]));
        out.append("\\\"");
        out.append(redacted_marker);
        out.append("\\\"");
      });
  // key=value and key: value.
  add(R"re((?i)\b()re" + key
        + R"re()(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"'<>]+))re",
      key_value());
  // E-mail addresses.
  add(
    R"re([A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})re",
    whole());
  // Card-like numbers: 13 to 19 digits, single spaces or dashes allowed.
  add(R"re(\b[2-6]\d(?:[ \-]?\d){11,17}\b)re", card());
  return rules;
}

const std::vector<rule>& rules() {
  static const auto instance = make_rules();
  return instance;
}

} // namespace

bool luhn_valid(std::string_view number) {
  int sum = 0;
  int count = 0;
  for (auto i = number.size(); i > 0; --i) {
    auto c = number[i - 1];
    if (c < '0' || c > '9')
      continue;
    auto d = c - '0';
    if (count % 2 == 1) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
    ++count;
  }
  return count > 0 && sum % 10 == 0;
}

std::string redact(std::string_view text) {
  std::string result{text};
  for (const auto& r : rules()) {
    if (!r.re->ok())
      continue;
    if (!RE2::PartialMatch(result, *r.re))
      continue;
    result = replace_each(result, *r.re, r.rewrite);
  }
  return result;
}

std::string_view truncate_utf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes)
    return text;
  auto cut = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to a sequence start.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return text.substr(0, cut);
}

std::string redact_log_message(std::string_view text, size_t max_bytes) {
  // Redact a prefix several times longer than what is kept, cut at
  // whitespace when possible so that no token is split at its end.
  auto window = max_bytes * 8;
  auto prefix = truncate_utf8(text, window);
  if (prefix.size() < text.size()) {
    auto space = prefix.find_last_of(" \t\r\n");
    if (space != std::string_view::npos && prefix.size() - space < 512)
      prefix = prefix.substr(0, space);
  }
  auto result = redact(prefix);
  result.resize(truncate_utf8(result, max_bytes).size());
  return result;
}

} // namespace kfix::context
