#include "messages/error.hpp"

namespace kfix {

const char* to_string(ec code) {
  switch (code) {
    case ec::unspecified:
      return "unspecified";
    case ec::invalid_input:
      return "invalid_input";
    case ec::invalid_config:
      return "invalid_config";
    case ec::not_found:
      return "not_found";
    case ec::upstream_error:
      return "upstream_error";
    case ec::unavailable:
      return "unavailable";
    case ec::database_error:
      return "database_error";
    case ec::io_error:
      return "io_error";
    case ec::refused:
      return "refused";
    case ec::timeout:
      return "timeout";
  }
  return "unknown";
}

caf::error make_error(ec code, std::string message) {
  return caf::make_error(code, std::move(message));
}

ec code_of(const caf::error& err) {
  if (err.category() != caf::atom("kfix"))
    return ec::unspecified;
  return static_cast<ec>(err.code());
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  std::string result;
  if (err.category() == caf::atom("kfix"))
    result = to_string(static_cast<ec>(err.code()));
  else
    result = caf::to_string(err.category()) + ":"
             + std::to_string(static_cast<int>(err.code()));
  const auto& ctx = err.context();
  for (size_t i = 0; i < ctx.size(); ++i) {
    result += i == 0 ? ": " : ", ";
    if (ctx.match_element<std::string>(i))
      result += ctx.get_as<std::string>(i);
    else
      result += caf::to_string(ctx);
  }
  return result;
}

} // namespace kfix
