// A directory index straight from a Swift container listing (listing mode):
// one page of `GET container?format=json&prefix=dir/&delimiter=/` becomes index entries,
// pseudo-folders ("subdir") and directory markers (0-byte objects of type
// application/directory, as zuul-jobs and `swift upload` make them) as directories.
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

// True for a directory marker's Content-Type ("application/directory", any case, parameters allowed).
bool is_directory_marker_type(std::string_view content_type);

// Appends the page's items below `prefix` ("" or ending with '/'). Throws
// std::runtime_error when the text is not a Swift listing.
ListingPage append_listing_page(std::string_view json_text, std::string_view prefix, IndexEntries& out);

// Swift's last_modified ("2026-11-25T23:27:56.123450", UTC) in Unix seconds; 0 when unreadable.
std::int64_t parse_swift_time(std::string_view text);

}  // namespace artifacts
