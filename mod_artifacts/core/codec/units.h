// Sizes and durations as operators write them in httpd.conf: "2G", "512M", "24h".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace artifacts {

// Bytes: digits with an optional K, M, G or T suffix (powers of 1024, either case).
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

// Seconds: digits with an optional s, m, h or d suffix.
std::optional<std::int64_t> parse_duration(std::string_view text);

}  // namespace artifacts
