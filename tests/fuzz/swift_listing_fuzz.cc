// Feeds fuzzed bytes to the reader of Swift container listings (listing mode): it either
// refuses the text or returns entries that are single, non-empty path segments below the
// prefix, never temporary files; the prefix comes from the input's first line.
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <stdexcept>
#include <string>

#include "../../mod_artifacts/core/index/swift_listing.h"

using namespace artifacts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = input.find('\n');
    const std::string_view prefix = newline == std::string_view::npos ? std::string_view() : input.substr(0, newline);
    const std::string_view listing = newline == std::string_view::npos ? input : input.substr(newline + 1);
    std::pmr::monotonic_buffer_resource memory;
    IndexEntries entries(&memory);
    try {
        const ListingPage page = append_listing_page(listing, prefix, entries);
        if (entries.size() > page.count) {
            std::abort();
        }
    } catch (const std::runtime_error&) {
        return 0;
    }
    for (const IndexEntry& entry : entries) {
        if (entry.name.empty() || entry.name.find('/') != std::pmr::string::npos || is_hidden_from_index(entry.name)) {
            std::abort();
        }
    }
    parse_swift_time(listing.substr(0, 40));
    return 0;
}
