#include "manifest.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <tuple>
#include <utility>

#include "../codec/escape.h"

namespace artifacts {

namespace {

using Pair = std::pair<std::string_view, std::string_view>;

// Python's mimetypes.suffix_map, encodings_map and the CI-relevant part of types_map
// (CPython 3.11, Lib/mimetypes.py), each sorted by key for a binary search.
constexpr std::array<Pair, 6> kSuffixes{{{".svgz", ".svg.gz"},
                                         {".taz", ".tar.gz"},
                                         {".tbz2", ".tar.bz2"},
                                         {".tgz", ".tar.gz"},
                                         {".txz", ".tar.xz"},
                                         {".tz", ".tar.gz"}}};
constexpr std::array<Pair, 5> kEncodings{
    {{".Z", "compress"}, {".br", "br"}, {".bz2", "bzip2"}, {".gz", "gzip"}, {".xz", "xz"}}};
constexpr std::array<Pair, 67> kTypes{{{".a", "application/octet-stream"},
                                       {".bat", "text/plain"},
                                       {".bin", "application/octet-stream"},
                                       {".bmp", "image/bmp"},
                                       {".c", "text/plain"},
                                       {".css", "text/css"},
                                       {".csv", "text/csv"},
                                       {".dll", "application/octet-stream"},
                                       {".doc", "application/msword"},
                                       {".eml", "message/rfc822"},
                                       {".eps", "application/postscript"},
                                       {".exe", "application/octet-stream"},
                                       {".gif", "image/gif"},
                                       {".gtar", "application/x-gtar"},
                                       {".h", "text/plain"},
                                       {".htm", "text/html"},
                                       {".html", "text/html"},
                                       {".ico", "image/vnd.microsoft.icon"},
                                       {".jpe", "image/jpeg"},
                                       {".jpeg", "image/jpeg"},
                                       {".jpg", "image/jpeg"},
                                       {".js", "application/javascript"},
                                       {".json", "application/json"},
                                       {".ksh", "text/plain"},
                                       {".latex", "application/x-latex"},
                                       {".m3u", "application/vnd.apple.mpegurl"},
                                       {".man", "application/x-troff-man"},
                                       {".mht", "message/rfc822"},
                                       {".mhtml", "message/rfc822"},
                                       {".mjs", "application/javascript"},
                                       {".mp3", "audio/mpeg"},
                                       {".mp4", "video/mp4"},
                                       {".mpeg", "video/mpeg"},
                                       {".o", "application/octet-stream"},
                                       {".obj", "application/octet-stream"},
                                       {".pdf", "application/pdf"},
                                       {".pl", "text/plain"},
                                       {".png", "image/png"},
                                       {".ps", "application/postscript"},
                                       {".py", "text/x-python"},
                                       {".pyc", "application/x-python-code"},
                                       {".pyo", "application/x-python-code"},
                                       {".rdf", "application/xml"},
                                       {".roff", "application/x-troff"},
                                       {".rtx", "text/richtext"},
                                       {".sgm", "text/x-sgml"},
                                       {".sgml", "text/x-sgml"},
                                       {".sh", "application/x-sh"},
                                       {".so", "application/octet-stream"},
                                       {".src", "application/x-wais-source"},
                                       {".srt", "text/plain"},
                                       {".svg", "image/svg+xml"},
                                       {".tar", "application/x-tar"},
                                       {".tcl", "application/x-tcl"},
                                       {".tex", "application/x-tex"},
                                       {".tif", "image/tiff"},
                                       {".tiff", "image/tiff"},
                                       {".tsv", "text/tab-separated-values"},
                                       {".txt", "text/plain"},
                                       {".ustar", "application/x-ustar"},
                                       {".vcf", "text/x-vcard"},
                                       {".wasm", "application/wasm"},
                                       {".wav", "audio/x-wav"},
                                       {".webm", "video/webm"},
                                       {".xml", "text/xml"},
                                       {".xsl", "application/xml"},
                                       {".zip", "application/zip"}}};

template <std::size_t N>
std::string_view look_up(const std::array<Pair, N>& table, std::string_view key) {
    const auto it = std::lower_bound(table.begin(), table.end(), key,
                                     [](const Pair& entry, std::string_view wanted) { return entry.first < wanted; });
    return it != table.end() && it->first == key ? it->second : std::string_view();
}

// Python's posixpath.splitext: the extension starts at the last dot of the last segment,
// unless only dots precede it there (".bashrc" has none).
std::pair<std::string, std::string> split_extension(const std::string& path) {
    const std::size_t dot = path.rfind('.');
    const std::size_t segment = path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1;
    if (dot == std::string::npos || dot < segment || path.find_first_not_of('.', segment) >= dot) {
        return {path, ""};
    }
    return {path.substr(0, dot), path.substr(dot)};
}

std::string lower(std::string text) {
    for (char& c : text) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
}

}  // namespace

ManifestType manifest_type_for(std::string_view name) {
    auto [base, ext] = split_extension(std::string(name));
    for (std::string_view rewritten = look_up(kSuffixes, lower(ext)); !rewritten.empty();
         rewritten = look_up(kSuffixes, lower(ext))) {
        std::tie(base, ext) = split_extension(base + std::string(rewritten));
    }
    // Encodings are case-sensitive in Python's tables; types are not.
    const std::string_view encoding = look_up(kEncodings, ext);
    if (!encoding.empty()) {
        std::tie(base, ext) = split_extension(base);
    }
    const std::string_view type = look_up(kTypes, lower(ext));
    return {type.empty() ? std::string_view("text/plain") : type, encoding};
}

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

void ManifestWriter::file(std::string_view name, std::uint64_t size, std::int64_t mtime, const LogSummary* summary) {
    separate();
    const ManifestType type = manifest_type_for(name);
    std::string entry = "\n{\"name\":";
    append_json_string(entry, name);
    entry += ",\"mimetype\":";
    append_json_string(entry, type.mimetype);
    entry += ",\"encoding\":";
    if (type.encoding.empty()) {
        entry += "null";
    } else {
        append_json_string(entry, type.encoding);
    }
    entry += ",\"last_modified\":" + std::to_string(mtime) + ",\"size\":" + std::to_string(size);
    if (summary != nullptr) {
        logs_.add(*summary);
        entry += ",\"summary\":";
        append_log_summary_json(entry, *summary);
    }
    entry += "}";
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
        if (!rest.empty() && rest.find('/') == std::string_view::npos) {  // "": the directory's own entry
            manifest.file(rest, files[i].size, files[i].mtime, files[i].summary ? &*files[i].summary : nullptr);
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
