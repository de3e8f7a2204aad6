#include "cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace artifacts {

namespace {

struct Address {
    bool ipv6 = false;
    bool mapped = false;  // written as IPv4-mapped IPv6 ("::ffff:192.0.2.1"), held as IPv4
    std::array<std::uint8_t, 16> bytes{};
};

// The bits an IPv4-mapped IPv6 address has before its IPv4 part.
constexpr int kMappedPrefixBits = 96;

std::optional<Address> parse_address(std::string_view text) {
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    const std::string terminated(text);
    Address out;
    if (inet_pton(AF_INET, terminated.c_str(), out.bytes.data()) == 1) {
        return out;
    }
    if (inet_pton(AF_INET6, terminated.c_str(), out.bytes.data()) == 1) {
        static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (std::memcmp(out.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
            std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
            std::memset(out.bytes.data() + 4, 0, 12);
            out.mapped = true;
            return out;
        }
        out.ipv6 = true;
        return out;
    }
    return std::nullopt;
}

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, int prefix_length) {
    const int whole = prefix_length / 8;
    if (std::memcmp(a, b, static_cast<std::size_t>(whole)) != 0) {
        return false;
    }
    const int rest = prefix_length % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::optional<Cidr> parse_cidr(std::string_view text) {
    const std::size_t slash = text.find('/');
    const auto address = parse_address(text.substr(0, slash));
    if (!address) {
        return std::nullopt;
    }
    Cidr range;
    range.ipv6 = address->ipv6;
    range.address = address->bytes;
    const int max_length = range.ipv6 ? 128 : 32;
    // "::ffff:192.0.2.0/120" is the IPv4 range 192.0.2.0/24; a shorter prefix would have
    // the mapping's own bits as host bits.
    const int written_offset = address->mapped ? kMappedPrefixBits : 0;
    range.prefix_length = max_length;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        int length = -1;
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
        if (digits.empty() || digits.size() > 3 || error != std::errc() || end != digits.data() + digits.size() ||
            length < written_offset || length > max_length + written_offset) {
            return std::nullopt;
        }
        range.prefix_length = length - written_offset;
    }
    // Host bits beyond the prefix must be zero.
    for (int bit = range.prefix_length; bit < max_length; ++bit) {
        if (range.address[bit / 8] & (0x80 >> (bit % 8))) {
            return std::nullopt;
        }
    }
    return range;
}

bool cidr_contains(const Cidr& range, std::string_view address) {
    const auto client = parse_address(address);
    if (!client || client->ipv6 != range.ipv6) {
        return false;
    }
    return prefix_matches(client->bytes.data(), range.address.data(), range.prefix_length);
}

}  // namespace artifacts
