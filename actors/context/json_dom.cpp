#include "actors/context/json_dom.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace kfix::context::json_dom {

using simdjson::SUCCESS;

caf::error json_error(simdjson::error_code err, std::string_view what) {
  return make_error(ec::invalid_input, std::string{what} + ": invalid JSON: "
                                         + simdjson::error_message(err));
}

caf::error parse_doc(dom::parser& parser, std::string_view json,
                     dom::element& doc, std::string_view what) {
  if (auto err = parser.parse(json.data(), json.size()).get(doc))
    return json_error(err, what);
  return caf::none;
}

std::string format_number(double x) {
  if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 9.0e15)
    return std::to_string(static_cast<int64_t>(x));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", x);
  return buf;
}

std::string text_of(element_result x) {
  dom::element e;
  if (x.get(e) != SUCCESS)
    return {};
  switch (e.type()) {
    case dom::element_type::STRING: {
      std::string_view sv;
      if (e.get_string().get(sv) == SUCCESS)
        return std::string{sv};
      return {};
    }
    case dom::element_type::INT64: {
      int64_t i = 0;
      if (e.get_int64().get(i) == SUCCESS)
        return std::to_string(i);
      return {};
    }
    case dom::element_type::UINT64: {
      uint64_t u = 0;
      if (e.get_uint64().get(u) == SUCCESS)
        return std::to_string(u);
      return {};
    }
    case dom::element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d) == SUCCESS)
        return format_number(d);
      return {};
    }
    case dom::element_type::BOOL: {
      bool b = false;
      if (e.get_bool().get(b) == SUCCESS)
        return b ? "true" : "false";
      return {};
    }
    default:
      return {};
  }
}

std::string text_of(dom::element e) {
  return text_of(element_result{std::move(e)});
}

std::optional<double> number_of(element_result x) {
  dom::element e;
  if (x.get(e) != SUCCESS)
    return std::nullopt;
  switch (e.type()) {
    case dom::element_type::INT64: {
      int64_t i = 0;
      if (e.get_int64().get(i) == SUCCESS)
        return static_cast<double>(i);
      return std::nullopt;
    }
    case dom::element_type::UINT64: {
      uint64_t u = 0;
      if (e.get_uint64().get(u) == SUCCESS)
        return static_cast<double>(u);
      return std::nullopt;
    }
    case dom::element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d) == SUCCESS)
        return d;
      return std::nullopt;
    }
    case dom::element_type::STRING: {
      auto s = text_of(e);
      char* end = nullptr;
      auto d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size())
        return d;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

int32_t int_of(element_result x, int32_t fallback) {
  auto n = number_of(x);
  if (!n || !std::isfinite(*n))
    return fallback;
  auto v = std::clamp(*n, -2147483648.0, 2147483647.0);
  return static_cast<int32_t>(v);
}

int64_t int64_of(element_result x, int64_t fallback) {
  auto n = number_of(x);
  if (!n || !std::isfinite(*n))
    return fallback;
  auto v = std::clamp(*n, -9.2e18, 9.2e18);
  return static_cast<int64_t>(v);
}

bool bool_of(element_result x) {
  bool b = false;
  return x.get_bool().get(b) == SUCCESS && b;
}

bool has(element_result x) {
  dom::element e;
  return x.get(e) == SUCCESS && !e.is_null();
}

std::map<std::string, std::string> string_map(element_result x) {
  std::map<std::string, std::string> result;
  dom::object obj;
  if (x.get_object().get(obj) != SUCCESS)
    return result;
  for (auto field : obj)
    result.emplace(std::string{field.key}, text_of(field.value));
  return result;
}

std::vector<std::string> string_list(element_result x) {
  std::vector<std::string> result;
  dom::array arr;
  if (x.get_array().get(arr) != SUCCESS)
    return result;
  for (auto e : arr)
    if (e.is_string())
      result.push_back(text_of(e));
  return result;
}

caf::error list_items(dom::element doc, dom::array& items, bool& present,
                      std::string_view what) {
  present = false;
  dom::object obj;
  if (doc.get_object().get(obj) != SUCCESS)
    return make_error(ec::invalid_input,
                      std::string{what} + ": expected a JSON object");
  auto kind = text_of(doc["kind"]);
  if (kind == "Status")
    return make_error(ec::upstream_error, std::string{what} + ": got a Status: "
                                            + text_of(doc["message"]));
  auto x = doc["items"];
  if (!has(x)) {
    // `items: null` and a missing `items` both mean an empty list.
    return caf::none;
  }
  if (x.get_array().get(items) != SUCCESS)
    return make_error(ec::invalid_input,
                      std::string{what} + ": `items` is not an array");
  present = true;
  return caf::none;
}

std::string continue_of(dom::element doc) {
  return text_of(doc["metadata"]["continue"]);
}

} // namespace kfix::context::json_dom
