// The model of a directory index: its entries and the order a client asked for.
// Sources (filesystem today, the catalogue later) fill it; renderers only read it.
#pragma once

#include "../store/log_summary.h"

#include <cstdint>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

namespace artifacts {

// Entries live in a memory resource the caller chooses: the module gives the request's
// APR pool, so a 100,000-entry listing is returned to httpd's allocator with the request
// instead of lingering in a malloc arena of whichever worker thread served it.
struct IndexEntry {
    std::pmr::string name;  // one path segment, raw bytes as stored
    bool is_directory = false;
    std::uint64_t size = 0;  // bytes; 0 for directories
    std::int64_t mtime = 0;  // Unix seconds
    // A Swift container listing's bytes: what Swift holds, which for a text zuul-jobs
    // stored with Content-Encoding: gzip is its compressed size (the listing does not say
    // which objects are so; asking each would cost a request per entry).
    bool size_as_stored = false;
    // A log's summary, kept by the store when it was uploaded (store/log_summary.h).
    std::optional<LogSummary> summary{};
};

using IndexEntries = std::pmr::vector<IndexEntry>;

enum class SortKey { Name, Modified, Size };

struct SortOrder {
    SortKey key = SortKey::Name;
    bool descending = false;
};

// mod_autoindex's query syntax: C=N|M|S selects the column, O=A|D the direction.
// Anything else keeps the default (name, ascending).
SortOrder parse_sort_order(std::string_view query);

// Directories first, then by the chosen key; ties broken by name so the order is stable
// whatever the directory's on-disk order.
void sort_entries(IndexEntries& entries, SortOrder order);

// Temporary files of uploads in progress start with this prefix; they are never listed
// nor served.
constexpr std::string_view kTemporaryFilePrefix = ".artifacts-tmp-";

bool is_hidden_from_index(std::string_view name);

// True when any segment of a relative path is a temporary file's name: such paths are
// answered 404, whatever exists on disk.
bool names_temporary_file(std::string_view path);

}  // namespace artifacts
