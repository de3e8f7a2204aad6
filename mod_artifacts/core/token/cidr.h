// Address ranges of a token's `ip` claim: "10.0.0.0/8", "2001:db8::/32", or one address.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace artifacts {

struct Cidr {
    bool ipv6 = false;
    std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 bytes
    int prefix_length = 0;
};

// Nothing for anything but a numeric address with an optional /length in range; host
// bits beyond the prefix must be zero ("10.0.0.1/8" is a typo, not a range).
std::optional<Cidr> parse_cidr(std::string_view text);

// True when `address` (numeric, as httpd reports a client: IPv4, IPv6, or IPv4-mapped
// IPv6 such as "::ffff:192.0.2.1") lies in `range`.
bool cidr_contains(const Cidr& range, std::string_view address);

}  // namespace artifacts
