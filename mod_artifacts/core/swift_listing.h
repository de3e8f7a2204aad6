// A directory index straight from a Swift container listing (listing mode):
// one page of `GET container?format=json&prefix=dir/&delimiter=/` becomes index entries,
// pseudo-folders ("subdir") as directories.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "index_model.h"

namespace artifacts {

struct ListingPage {
    std::size_t count = 0;    // items in the page, listed or not
    std::string next_marker;  // the last item's name: the marker of the next page
};

// Appends the page's items below `prefix` ("" or ending with '/'). Throws
// std::runtime_error when the text is not a Swift listing.
ListingPage append_listing_page(std::string_view json_text, std::string_view prefix, IndexEntries& out);

// Swift's last_modified ("2026-11-25T23:27:56.123450", UTC) in Unix seconds; 0 when unreadable.
std::int64_t parse_swift_time(std::string_view text);

}  // namespace artifacts
