#include "manifest.h"

#include <algorithm>

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

namespace {

// Emits files[begin, end), sorted by path, all below the first `prefix` bytes.
void write_level(const std::vector<ManifestFile>& files, std::size_t begin, std::size_t end, std::size_t prefix,
                 ManifestWriter& manifest) {
    struct Group {
        std::string_view name;
        std::size_t begin, end;
    };
    std::vector<Group> directories;
    for (std::size_t i = begin; i < end;) {
        const std::string_view rest = std::string_view(files[i].path).substr(prefix);
        const std::size_t slash = rest.find('/');
        if (slash == std::string_view::npos) {
            ++i;
            continue;
        }
        // Paths sharing "name/" are contiguous in sorted order.
        const std::string_view directory = rest.substr(0, slash + 1);
        std::size_t j = i;
        while (j < end && std::string_view(files[j].path).substr(prefix, directory.size()) == directory) {
            ++j;
        }
        directories.push_back(Group{rest.substr(0, slash), i, j});
        i = j;
    }
    // Sorted paths order "a-b/" before "a/": Zuul orders directories by name.
    std::sort(directories.begin(), directories.end(), [](const Group& a, const Group& b) { return a.name < b.name; });
    for (const Group& group : directories) {
        manifest.begin_directory(group.name);
        write_level(files, group.begin, group.end, prefix + group.name.size() + 1, manifest);
        manifest.end_directory();
    }
    for (std::size_t i = begin; i < end; ++i) {
        const std::string_view rest = std::string_view(files[i].path).substr(prefix);
        if (rest.find('/') == std::string_view::npos) {
            manifest.file(rest, files[i].size, files[i].mtime);
        }
    }
}

}  // namespace

void write_manifest_from_files(std::vector<ManifestFile> files, ManifestWriter& manifest) {
    // Sorting by path keeps each directory's files together; "a/" sorts after "a.txt" and
    // before "ab", which is all the grouping needs.
    std::sort(files.begin(), files.end(), [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
    write_level(files, 0, files.size(), 0, manifest);
    manifest.finish();
}

}  // namespace artifacts
