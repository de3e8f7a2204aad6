// base64url without padding (RFC 4648 §5), the encoding of a token's parts. Decoding is
// strict: one encoding per byte string, so a token cannot be re-spelt and still verify.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace artifacts {

std::string base64url_encode(std::string_view bytes);

// Nothing for padding, characters outside the alphabet, an impossible length, or
// non-zero bits left over in the last character.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace artifacts
