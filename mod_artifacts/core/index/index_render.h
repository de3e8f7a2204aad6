// Renders a directory index as HTML (for people) or JSON (for tools), streaming into a
// Sink a few kilobytes at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index_model.h"
#include "../http/sink.h"

namespace artifacts {

struct IndexPage {
    std::string_view url_path;  // the directory's decoded URL path, ending with "/"
    bool has_parent = true;     // false at the top of the artifact tree
    SortOrder order;
    const IndexEntries& entries;  // already sorted
};

void render_html_index(const IndexPage& page, Sink& sink);
void render_json_index(const IndexPage& page, Sink& sink);

// "512 B", "1.5 KiB", "12 KiB", "3.0 MiB": what people read in a listing.
std::string human_size(std::uint64_t bytes);

// "2026-11-25 11:05" (listing) and "2026-11-25T11:05:07Z" (JSON), both UTC.
std::string format_listing_time(std::int64_t unix_seconds);
std::string format_iso8601(std::int64_t unix_seconds);

}  // namespace artifacts
