#include "swift_listing.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "../http/negotiation.h"

namespace artifacts {

using nlohmann::json;

std::int64_t parse_swift_time(std::string_view text) {
    std::tm when{};
    const std::string terminated(text.substr(0, 19));
    if (terminated.size() != 19 ||
        std::sscanf(terminated.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &when.tm_year, &when.tm_mon, &when.tm_mday,
                    &when.tm_hour, &when.tm_min, &when.tm_sec) != 6) {
        return 0;
    }
    when.tm_year -= 1900;
    when.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&when));
}

bool is_directory_marker_type(std::string_view content_type) {
    return iequals(media_type_of(content_type), "application/directory");
}

ListingPage append_listing_page(std::string_view json_text, std::string_view prefix, IndexEntries& out) {
    const json items = json::parse(json_text.begin(), json_text.end(), nullptr, false);
    if (!items.is_array()) {
        throw std::runtime_error("the container listing is not a JSON array");
    }
    ListingPage page;
    for (const json& item : items) {
        if (!item.is_object()) {
            throw std::runtime_error("a container listing item is not an object");
        }
        ++page.count;
        const bool subdir = item.contains("subdir");
        const json& name_field = subdir ? item["subdir"] : item.value("name", json());
        if (!name_field.is_string()) {
            throw std::runtime_error("a container listing item has no name");
        }
        const std::string& full_name = name_field.get_ref<const std::string&>();
        page.next_marker = full_name;
        if (full_name.compare(0, prefix.size(), prefix) != 0) {
            continue;
        }
        std::string_view name = std::string_view(full_name).substr(prefix.size());
        if (subdir && !name.empty() && name.back() == '/') {
            name.remove_suffix(1);
        }
        // A directory marker (zuul-jobs, swift upload) stands for the directory of its name.
        const json& type = item.value("content_type", json());
        const bool marker = !subdir && type.is_string() && is_directory_marker_type(type.get_ref<const std::string&>());
        const bool folder = subdir || marker;
        // An object named "dir/" or "a//b" has no name of its own in an index.
        if (name.empty() || name.find('/') != std::string_view::npos || is_hidden_from_index(name)) {
            continue;
        }
        IndexEntry entry{std::pmr::string(name, out.get_allocator()), folder, 0, 0, false, std::nullopt};
        if (!subdir) {
            const json& bytes = item.value("bytes", json());
            entry.size = !marker && bytes.is_number_unsigned() ? bytes.get<std::uint64_t>() : 0;
            entry.size_as_stored = !folder;
            const json& modified = item.value("last_modified", json());
            entry.mtime = modified.is_string() ? parse_swift_time(modified.get_ref<const std::string&>()) : 0;
        }
        out.push_back(std::move(entry));
    }
    return page;
}

}  // namespace artifacts
