#include "actors/publish/base64.hpp"

#include <climits>
#include <openssl/evp.h>

namespace kfix::publish {

std::string base64_encode(std::string_view data) {
  if (data.empty())
    return {};
  if (data.size() > static_cast<size_t>(INT_MAX / 4 * 3))
    return {};
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(data.data()),
                           static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

caf::expected<std::string> base64_decode(std::string_view text) {
  std::string clean;
  clean.reserve(text.size() + 2);
  for (auto c : text)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
      clean += c;
  switch (clean.size() % 4) {
    case 0:
      break;
    case 2:
      clean += "==";
      break;
    case 3:
      clean += '=';
      break;
    default:
      return make_error(ec::invalid_input, "base64: length "
                                             + std::to_string(clean.size())
                                             + " is not a valid encoding");
  }
  if (clean.empty())
    return std::string{};
  if (clean.size() > static_cast<size_t>(INT_MAX))
    return make_error(ec::invalid_input, "base64: input too large");
  // '=' may appear only as the last one or two characters.
  size_t padding = 0;
  while (padding < 2 && clean[clean.size() - 1 - padding] == '=')
    ++padding;
  if (clean.find('=') < clean.size() - padding)
    return make_error(ec::invalid_input, "base64: misplaced padding");
  std::string out(clean.size() / 4 * 3, '\0');
  // EVP_DecodeBlock decodes whole quadruples and counts padding as zero
  // bytes; drop those.
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(clean.data()),
                           static_cast<int>(clean.size()));
  if (n < 0)
    return make_error(ec::invalid_input,
                      "base64: invalid character in encoded content");
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

} // namespace kfix::publish
