#include "manifest.h"

#include <string>

#include "content_type.h"
#include "escape.h"

namespace artifacts {

ManifestWriter::ManifestWriter(Sink& out) : out_(out), first_in_level_{true} {
    out_.write("{\"tree\":[");
}

void ManifestWriter::separate() {
    if (!first_in_level_.back()) {
        out_.write(",");
    }
    first_in_level_.back() = false;
}

void ManifestWriter::begin_directory(std::string_view name) {
    separate();
    std::string entry = "\n{\"name\":";
    append_json_string(entry, name);
    entry += ",\"mimetype\":\"application/directory\",\"encoding\":null,\"children\":[";
    out_.write(entry);
    first_in_level_.push_back(true);
}

void ManifestWriter::end_directory() {
    first_in_level_.pop_back();
    out_.write("]}");
}

void ManifestWriter::file(std::string_view name, std::uint64_t size, std::int64_t mtime) {
    separate();
    const ContentType type = content_type_for(name);
    std::string entry = "\n{\"name\":";
    append_json_string(entry, name);
    entry += ",\"mimetype\":";
    append_json_string(entry, type.media_type);
    entry += ",\"encoding\":";
    if (type.encoding.empty()) {
        entry += "null";
    } else {
        append_json_string(entry, type.encoding);
    }
    entry += ",\"last_modified\":" + std::to_string(mtime) + ",\"size\":" + std::to_string(size) + "}";
    out_.write(entry);
}

void ManifestWriter::finish() {
    out_.write("\n],\"index_links\":false}\n");
}

}  // namespace artifacts
