#include "content_type.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "negotiation.h"

namespace artifacts {

namespace {

struct Mapping {
    std::string_view extension;  // lower case, without the dot
    std::string_view media_type;
};

// Sorted by extension: looked up with a binary search.
constexpr std::array<Mapping, 36> kMappings{{
    {"bz2", "application/x-bzip2"},
    {"conf", "text/plain"},
    {"css", "text/css"},
    {"csv", "text/csv"},
    {"diff", "text/x-diff"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"ico", "image/vnd.microsoft.icon"},
    {"ini", "text/plain"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript"},
    {"json", "application/json"},
    {"log", "text/plain"},
    {"md", "text/markdown"},
    {"patch", "text/x-diff"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"py", "text/x-python"},
    {"rst", "text/x-rst"},
    {"sh", "text/x-shellscript"},
    {"subunit", "application/octet-stream"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"tgz", "application/gzip"},
    {"txt", "text/plain"},
    {"webp", "image/webp"},
    {"whl", "application/zip"},
    {"xml", "application/xml"},
    {"xz", "application/x-xz"},
    {"yaml", "text/yaml"},
    {"yml", "text/yaml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
}};

constexpr std::string_view kOctetStream = "application/octet-stream";

std::string_view lookup_extension(std::string_view name) {
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) {
        return {};
    }
    const std::string_view raw = name.substr(dot + 1);
    if (raw.size() > 16) {
        return {};
    }
    std::string extension(raw);
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto end = kMappings.end();
    const auto found =
        std::lower_bound(kMappings.begin(), end, extension,
                         [](const Mapping& mapping, const std::string& key) { return mapping.extension < key; });
    if (found == end || found->extension != extension) {
        return {};
    }
    return found->media_type;
}

bool ends_with_gz(std::string_view name) {
    return name.size() > 3 && (name.substr(name.size() - 3) == ".gz" || name.substr(name.size() - 3) == ".GZ");
}

}  // namespace

ContentType content_type_for(std::string_view name) {
    if (ends_with_gz(name)) {
        const std::string_view inner = lookup_extension(name.substr(0, name.size() - 3));
        if (!inner.empty() && inner != kOctetStream) {
            return {inner, "gzip"};
        }
        return {"application/gzip", {}};
    }
    const std::string_view type = lookup_extension(name);
    return {type.empty() ? kOctetStream : type, {}};
}

bool media_type_matches(std::string_view pattern, std::string_view media_type) {
    if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == "/*") {
        const std::string_view top = pattern.substr(0, pattern.size() - 1);  // "text/"
        return media_type.size() > top.size() && iequals(media_type.substr(0, top.size()), top);
    }
    return iequals(pattern, media_type);
}

}  // namespace artifacts
