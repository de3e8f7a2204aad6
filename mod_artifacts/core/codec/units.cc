#include "units.h"

#include <charconv>
#include <limits>

namespace artifacts {

namespace {

std::optional<std::uint64_t> scaled(std::string_view text, std::string_view suffixes, const std::uint64_t* factors) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::uint64_t factor = 1;
    if (const std::size_t at = suffixes.find(text.back()); at != std::string_view::npos) {
        factor = factors[at % (suffixes.size() / 2)];
        text.remove_suffix(1);
    }
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
        value > std::numeric_limits<std::int64_t>::max() / factor) {
        return std::nullopt;
    }
    return value * factor;
}

}  // namespace

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
    static constexpr std::uint64_t kFactors[] = {1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40};
    return scaled(text, "KMGTkmgt", kFactors);
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
    static constexpr std::uint64_t kFactors[] = {1, 60, 3600, 86400};
    const auto seconds = scaled(text, "smhdSMHD", kFactors);
    if (!seconds) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(*seconds);
}

}  // namespace artifacts
