// zuul-manifest.json, the file Zuul's web UI reads to show a build's logs: a tree of
// {name, mimetype, encoding, size, last_modified} for files and {name, mimetype
// "application/directory", encoding, children} for directories, as Zuul's
// generate-zuul-manifest role writes it. Written as a stream: memory is one directory's
// entries per level, not the tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../http/sink.h"
#include "../store/log_summary.h"

namespace artifacts {

// The manifest's name in the sealed directory, as Zuul reads it.
constexpr std::string_view kManifestName = "zuul-manifest.json";

class ManifestWriter {
public:
    explicit ManifestWriter(Sink& out);
    void begin_directory(std::string_view name);
    void end_directory();
    // A file; with a log summary (store/log_summary.h), a "summary" field Zuul's viewer ignores.
    void file(std::string_view name, std::uint64_t size, std::int64_t mtime, const LogSummary* summary = nullptr);
    // Closes the tree; call once, after every directory is ended.
    void finish();
    // The summaries of the files written so far, added up.
    const ScopeSummary& logs() const { return logs_; }

private:
    void separate();
    Sink& out_;
    std::vector<bool> first_in_level_;
    ScopeSummary logs_;
};

// The mimetype and encoding zuul-jobs' generate-zuul-manifest gives a file name: Python's
// mimetypes.guess_type with its built-in tables (suffixes such as .tgz rewritten, the
// encoding suffix .gz/.xz/.bz2/.Z/.br taken off, case-insensitive types), and text/plain
// when it knows no type. Zuul's web UI opens only text/plain entries in its log viewer, so
// this, not the serving table, decides how a file shows there.
struct ManifestType {
    std::string_view mimetype;
    std::string_view encoding;  // "" for none (null in the manifest)
};
ManifestType manifest_type_for(std::string_view name);

// A file of a flat listing (the catalogue's rows below a scope).
struct ManifestFile {
    std::string path;  // relative to the manifest's directory, "a/b.txt"; "a/b/" is a directory
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
    std::optional<LogSummary> summary{};
};

// Writes the tree of `files` (in any order) as Zuul's generator orders it: directories
// first, each group by name. Writes the whole manifest, finish() included.
void write_manifest_from_files(std::vector<ManifestFile> files, ManifestWriter& manifest);

}  // namespace artifacts
