// The catalogue: one row per stored artifact (and per directory holding one),
// looked up by exact path or listed by parent directory, each one indexed query.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../core/index/index_model.h"
#include "../core/policy/path_policy.h"
#include "mysql_connection.h"

namespace artifacts {

// The schema version this build reads and writes (scripts/schema.sql).
constexpr int kCatalogueSchemaVersion = 4;
// Longest path the catalogue holds (bytes of UTF-8): the limit of its index keys, and so
// the longest path any upload may store.
constexpr std::size_t kMaxCataloguePath = 1024;
static_assert(kMaxPathBytes <= kMaxCataloguePath, "an upload's path must fit the catalogue");

struct ArtifactRecord {
    std::string path;  // below the root; a directory's ends with '/'
    bool is_directory = false;
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
    std::string content_type;
    std::string content_encoding;  // "" or "gzip"
    std::string sha256;
    std::string etag;
    std::string store = "swift";
    std::string container;
    std::string object;
    std::string jti;
    std::string build;
    std::string job;
    std::optional<std::int64_t> expires_at;
    std::optional<LogSummary> summary;  // a log's, counted at upload
};

// How a request's path matched.
struct CatalogueMatch {
    ArtifactRecord record;
    // The request named "foo.txt.gz" and the row is "foo.txt" stored gzip: the raw bytes
    // are asked for.
    bool compressed_name = false;
};

class Catalogue {
public:
    explicit Catalogue(CatalogueSettings settings)
        : pool_(settings, settings.read_timeout), lookups_(settings, settings.lookup_timeout) {}

    // The row for `path` ("a/b.txt"; "a/b" also finds the directory "a/b/"; "a/b.txt.gz"
    // finds "a/b.txt" stored gzip). Rows past their expiry are not found. Throws
    // CatalogueUnavailable / CatalogueError.
    std::optional<CatalogueMatch> find(std::string_view path, std::int64_t now);

    // Appends the entries of directory `directory` ("" or ending with '/'); returns false
    // when the catalogue has no such directory. A file stored compressed is listed as
    // "name.gz" with its stored size, as the filesystem store keeps it and the seal's
    // manifest names it (GET "name" still answers it decoded).
    bool list(std::string_view directory, std::int64_t now, IndexEntries& out);

    // Records (or replaces) a file's row and the rows of the directories above it.
    void record(MySqlConnection& connection, const ArtifactRecord& record);
    // In the caller's transaction: the row of directory `path` ("a/b/") and of its ancestors,
    // where missing. True when the directory's own row was made.
    bool record_directory(MySqlConnection& connection, const std::string& path, std::int64_t mtime);

    // The rows at or below `prefix` (a directory path ending with '/'), directories' rows
    // included (is_directory), path order.
    template <typename Visit>
    void for_each_below(std::string_view prefix, std::int64_t now, Visit&& visit);

    // The schema version in the database (0 when unreadable).
    int schema_version();

    // Connections for writes (and the seal's long reads): replies within read-timeout.
    MySqlPool& pool() { return pool_; }
    // Both pools' idle connections: closed (a child exits), or those the server closed.
    void close_idle();
    void drop_closed_idle();

private:
    // Throws CatalogueError while the database's schema is not the one this build knows;
    // asks once per process once it is.
    void check_schema();

    MySqlPool pool_;
    MySqlPool lookups_;  // for the lookups that serve reads: replies within lookup-timeout
    std::atomic<bool> schema_checked_{false};
};

ArtifactRecord record_from_row(const SqlRow& row);
std::string parent_of(std::string_view path);  // "" or ending with '/'
std::string name_of(std::string_view path);    // last segment without '/'

// The columns record_from_row reads, in its order.
#define ARTIFACTS_RECORD_COLUMNS                                                                        \
    "path, is_directory, size, mtime, content_type, content_encoding, sha256, etag, store, container, " \
    "object, jti, build, job, expires_at, summary"

template <typename Visit>
void Catalogue::for_each_below(std::string_view prefix, std::int64_t now, Visit&& visit) {
    // A range on the unique path key: every path that starts with prefix sorts between
    // prefix and prefix + 0xFF.
    check_schema();
    std::string end(prefix);
    end.push_back('\xff');
    const SqlResult result = pool_.with_connection([&](MySqlConnection& connection) {
        return connection.execute("SELECT " ARTIFACTS_RECORD_COLUMNS
                                  " FROM artifacts WHERE path >= ? AND path < ? "
                                  "AND (expires_at IS NULL OR expires_at > ?) ORDER BY path",
                                  {prefix, std::string_view(end), now});
    });
    for (const SqlRow& row : result.rows) {
        visit(record_from_row(row));
    }
}

}  // namespace artifacts
