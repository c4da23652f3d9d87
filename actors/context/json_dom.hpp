#pragma once

#include "messages/error.hpp"

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// Small readers over simdjson's DOM shared by the context parsers: every
/// accessor tolerates missing fields and wrong types (an API answer is
/// untrusted input) and returns a neutral value instead.
namespace kfix::context::json_dom {

namespace dom = simdjson::dom;
using element_result = simdjson::simdjson_result<dom::element>;

/// `what: invalid JSON: <reason>`.
caf::error json_error(simdjson::error_code err, std::string_view what);

/// Parses `json` into `doc`; the parser owns the memory.
[[nodiscard]] caf::error parse_doc(dom::parser& parser, std::string_view json,
                                   dom::element& doc, std::string_view what);

/// A number as text: integers without a fraction, others with 15 digits.
std::string format_number(double x);

/// A scalar as text: strings as they are, numbers and booleans formatted;
/// "" for null, objects, arrays and missing values.
std::string text_of(element_result x);
std::string text_of(dom::element e);

/// A number (integers, doubles and numeric strings), or nullopt.
std::optional<double> number_of(element_result x);

/// An integer clamped to the type's range, or `fallback`.
int32_t int_of(element_result x, int32_t fallback);
int64_t int64_of(element_result x, int64_t fallback);

bool bool_of(element_result x);

/// Whether the value exists and is not null.
bool has(element_result x);

/// The scalar members of an object as strings ({"memory": "1Gi"}).
std::map<std::string, std::string> string_map(element_result x);

/// The strings of an array (other elements skipped).
std::vector<std::string> string_list(element_result x);

/// Checks that `doc` is a Kubernetes list and sets `items` to its `items`
/// array; `present` is false when the list has no items (missing or null).
/// A `Status` instead of a list is an `ec::upstream_error`.
[[nodiscard]] caf::error list_items(dom::element doc, dom::array& items,
                                    bool& present, std::string_view what);

/// `metadata.continue` of a list ("" on the last page).
std::string continue_of(dom::element doc);

} // namespace kfix::context::json_dom

namespace kfix::context::json_dom {

template <class T>
void push_item(std::vector<T>& out, T&& x) {
  out.push_back(std::move(x));
}

template <class T>
void push_item(std::vector<T>& out, std::optional<T>&& x) {
  if (x)
    out.push_back(std::move(*x));
}

/// Parses a Kubernetes list page: each item through `item(element)` into
/// `out` (an item returning `std::optional` may drop itself), the continue
/// token into `cont`.
template <class T, class F>
[[nodiscard]] caf::error
parse_list_into(std::string_view json, std::string_view what, F item,
                std::vector<T>& out, std::string& cont) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, what))
    return err;
  dom::array items;
  auto present = false;
  if (auto err = list_items(doc, items, present, what))
    return err;
  cont = continue_of(doc);
  if (present)
    for (auto x : items)
      push_item(out, item(x));
  return caf::none;
}

} // namespace kfix::context::json_dom
