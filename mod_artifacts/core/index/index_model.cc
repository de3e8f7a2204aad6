#include "index_model.h"

#include <algorithm>

#include "../http/negotiation.h"
#include "../policy/path_policy.h"

namespace artifacts {

namespace {

bool is_temporary_name(std::string_view name) {
    return name.substr(0, kTemporaryFilePrefix.size()) == kTemporaryFilePrefix;
}

}  // namespace

SortOrder parse_sort_order(std::string_view query) {
    SortOrder order;
    if (const auto column = query_parameter(query, "C"); column && column->size() == 1) {
        switch ((*column)[0]) {
        case 'N': order.key = SortKey::Name; break;
        case 'M': order.key = SortKey::Modified; break;
        case 'S': order.key = SortKey::Size; break;
        default: break;
        }
    }
    if (const auto direction = query_parameter(query, "O"); direction && *direction == "D") {
        order.descending = true;
    }
    return order;
}

void sort_entries(IndexEntries& entries, SortOrder order) {
    std::sort(entries.begin(), entries.end(), [order](const IndexEntry& a, const IndexEntry& b) {
        if (a.is_directory != b.is_directory) {
            return a.is_directory;
        }
        int compared = 0;
        switch (order.key) {
        case SortKey::Modified: compared = a.mtime < b.mtime ? -1 : (a.mtime > b.mtime ? 1 : 0); break;
        case SortKey::Size: compared = a.size < b.size ? -1 : (a.size > b.size ? 1 : 0); break;
        case SortKey::Name: break;
        }
        if (compared == 0) {
            compared = a.name.compare(b.name);
        }
        return order.descending ? compared > 0 : compared < 0;
    });
}

bool is_hidden_from_index(std::string_view name) {
    return name == "." || name == ".." || is_temporary_name(name);
}

bool names_temporary_file(std::string_view path) {
    return first_in_segments(path, is_temporary_name);
}

}  // namespace artifacts
