// UTF-8 decoding that never trusts its input: file names on disk are arbitrary bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace artifacts::utf8 {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point starting at text[pos]. Returns the number of bytes consumed
// (at least 1) and stores the code point, or kReplacement for an invalid, overlong,
// surrogate or truncated sequence, which then consumes exactly one byte.
std::size_t decode(std::string_view text, std::size_t pos, char32_t& code_point);

bool is_valid(std::string_view text);

}  // namespace artifacts::utf8
