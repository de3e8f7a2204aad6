// Bulk import of a filesystem tree into Swift and the catalogue (artifacts-import): each file
// becomes the object and the row an upload through the module would have made, so the
// serving chain answers it from Swift once its row exists (and from the disk until then).
//
// One file at a time, safely beside running servers and after a crash:
// - a row already naming the same bytes (size and SHA-256) is left as it is: a second run
//   resumes where the first stopped;
// - a row naming other bytes is a conflict, never overwritten;
// - the path is claimed (uploads_in_progress) as an upload claims it, so an upload of the
//   same path through the module waits for the import or the import for it;
// - the object is written first, then the row and the end of the claim in one transaction;
//   a COMMIT whose answer was lost is looked up before anything is said; the source is
//   removed (with --delete-source) only once its row is committed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "catalogue.h"
#include "swift_client.h"

namespace artifacts {

struct ImportSettings {
    std::string container;       // ArtifactsSwiftContainer
    unsigned shards = 1;         // ArtifactsSwiftContainerShards
    std::int64_t retention = 0;  // ArtifactsRetention (seconds; 0 for none)
    bool dry_run = false;
    bool delete_source = false;
};

// One file of the tree and what it becomes.
struct ImportItem {
    std::string source;        // the file to read (a symlink's target)
    std::string link;          // the symlink that named it, if any ("" otherwise)
    std::string path;          // the row's path, below the root
    bool gzip = false;         // a legacy name.ext.gz imported as name.ext, gzip-encoded
    std::string content_type;  // of what the row serves
    bool summarise = false;    // a log: its summary is counted as it is read (store/log_summary.h)
};

// What `relative` (a file below the root) becomes: "a/log.txt.gz" is "a/log.txt" stored gzip
// (as the disk serves it) when its inner type is text-like and "a/log.txt" is not a file of
// its own (`plain_sibling`); anything else keeps its name.
ImportItem plan_import(const std::string& source, const std::string& relative, bool plain_sibling);

enum class ImportOutcome {
    Imported,      // object and row written
    AlreadyThere,  // a row names these very bytes
    Conflict,      // a row names other bytes: left alone
    Busy,          // an upload holds the path: tried next time
};

struct ImportResult {
    ImportOutcome outcome;
    std::uint64_t bytes = 0;
    bool source_removed = false;
};

class Importer {
public:
    Importer(Catalogue& catalogue, SwiftClient& swift, const ImportSettings& settings)
        : catalogue_(catalogue), swift_(swift), settings_(settings) {}

    // Throws on a failure (the file unreadable or changed while read, Swift or the
    // catalogue away): nothing is left behind then but, at worst, an object no row names
    // (artifacts-prune --orphans) or a claim whose lease runs out.
    ImportResult import(const ImportItem& item);

private:
    Catalogue& catalogue_;
    SwiftClient& swift_;
    const ImportSettings& settings_;
};

}  // namespace artifacts
