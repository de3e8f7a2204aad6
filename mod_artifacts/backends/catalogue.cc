#include "catalogue.h"

#include <cstring>

namespace artifacts {

namespace {

std::int64_t to_int(const std::optional<std::string>& text) {
    return text ? std::stoll(*text) : 0;
}

std::string text_of(const std::optional<std::string>& text) {
    return text ? *text : std::string();
}

constexpr std::string_view kGzipSuffix = ".gz";

bool ends_with_gz(std::string_view name) {
    return name.size() > kGzipSuffix.size() && name.substr(name.size() - kGzipSuffix.size()) == kGzipSuffix;
}

}  // namespace

std::string parent_of(std::string_view path) {
    if (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

std::string name_of(std::string_view path) {
    if (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    const std::size_t slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

ArtifactRecord record_from_row(const SqlRow& row) {
    ArtifactRecord record;
    record.path = text_of(row.at(0));
    record.is_directory = to_int(row.at(1)) != 0;
    record.size = static_cast<std::uint64_t>(row.at(2) ? std::stoull(*row.at(2)) : 0);
    record.mtime = to_int(row.at(3));
    record.content_type = text_of(row.at(4));
    record.content_encoding = text_of(row.at(5));
    record.sha256 = text_of(row.at(6));
    record.etag = text_of(row.at(7));
    record.store = text_of(row.at(8));
    record.container = text_of(row.at(9));
    record.object = text_of(row.at(10));
    record.jti = text_of(row.at(11));
    record.build = text_of(row.at(12));
    record.job = text_of(row.at(13));
    if (row.at(14)) {
        record.expires_at = std::stoll(*row.at(14));
    }
    if (row.at(15)) {
        record.summary = parse_log_summary(*row.at(15));
    }
    return record;
}

void Catalogue::check_schema() {
    if (schema_checked_.load(std::memory_order_acquire)) {
        return;
    }
    const int version = schema_version();
    if (version != kCatalogueSchemaVersion) {
        throw CatalogueError("the catalogue's schema is version " + std::to_string(version) + ", this module reads " +
                             std::to_string(kCatalogueSchemaVersion) + " (see scripts/schema.sql)");
    }
    schema_checked_.store(true, std::memory_order_release);
}

std::optional<CatalogueMatch> Catalogue::find(std::string_view path, std::int64_t now) {
    check_schema();
    const std::string as_directory = path.empty() || path.back() == '/' ? std::string(path) : std::string(path) + "/";
    const bool gz_name = ends_with_gz(path);
    const std::string_view uncompressed = gz_name ? path.substr(0, path.size() - kGzipSuffix.size()) : path;
    const SqlResult result = lookups_.with_connection([&](MySqlConnection& connection) {
        return connection.execute("SELECT " ARTIFACTS_RECORD_COLUMNS
                                  " FROM artifacts WHERE path IN (?, ?, ?) AND (expires_at IS NULL OR expires_at > ?)",
                                  {path, std::string_view(as_directory), uncompressed, now});
    });
    std::optional<CatalogueMatch> compressed;
    for (const SqlRow& row : result.rows) {
        ArtifactRecord record = record_from_row(row);
        if (record.path == path || record.path == as_directory) {
            return CatalogueMatch{std::move(record), false};
        }
        if (gz_name && record.path == uncompressed && record.content_encoding == "gzip") {
            compressed = CatalogueMatch{std::move(record), true};
        }
    }
    return compressed;
}

bool Catalogue::list(std::string_view directory, std::int64_t now, IndexEntries& out) {
    check_schema();
    const SqlResult result = lookups_.with_connection([&](MySqlConnection& connection) {
        return connection.execute(
            "SELECT name, is_directory, size, mtime, content_encoding, summary FROM artifacts WHERE parent = ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            {directory, now});
    });
    out.reserve(out.size() + result.rows.size());
    for (const SqlRow& row : result.rows) {
        std::string name = text_of(row[0]);
        if (text_of(row[4]) == "gzip" && !ends_with_gz(name)) {
            name += kGzipSuffix;
        }
        if (name.empty() || is_hidden_from_index(name)) {
            continue;
        }
        out.push_back(IndexEntry{std::pmr::string(name, out.get_allocator()), to_int(row[1]) != 0,
                                 static_cast<std::uint64_t>(row[2] ? std::stoull(*row[2]) : 0), to_int(row[3]), false,
                                 row[5] ? parse_log_summary(*row[5]) : std::nullopt});
    }
    if (!result.rows.empty()) {
        return true;
    }
    // An empty directory has its own row; the top has none (it exists when something is below it).
    return !directory.empty() &&
           !lookups_
                .with_connection([&](MySqlConnection& connection) {
                    return connection.execute("SELECT 1 FROM artifacts WHERE path = ? AND is_directory = 1",
                                              {directory});
                })
                .rows.empty();
}

void Catalogue::record(MySqlConnection& connection, const ArtifactRecord& record) {
    check_schema();
    const std::string parent = parent_of(record.path);
    const std::string name = name_of(record.path);
    const SqlValue expires = record.expires_at ? SqlValue(*record.expires_at) : SqlValue(nullptr);
    const std::string summary = record.summary ? format_log_summary(*record.summary) : std::string();
    connection.execute(
        "INSERT INTO artifacts (path, parent, name, is_directory, size, mtime, content_type, content_encoding, "
        "sha256, etag, store, container, object, jti, build, job, expires_at, summary) "
        "VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE size = VALUES(size), mtime = VALUES(mtime), content_type = VALUES(content_type), "
        "content_encoding = VALUES(content_encoding), sha256 = VALUES(sha256), etag = VALUES(etag), "
        "store = VALUES(store), container = VALUES(container), object = VALUES(object), jti = VALUES(jti), "
        "build = VALUES(build), job = VALUES(job), expires_at = VALUES(expires_at), summary = VALUES(summary)",
        {std::string_view(record.path), std::string_view(parent), std::string_view(name), record.size, record.mtime,
         std::string_view(record.content_type), std::string_view(record.content_encoding),
         std::string_view(record.sha256), std::string_view(record.etag), std::string_view(record.store),
         std::string_view(record.container), std::string_view(record.object), std::string_view(record.jti),
         std::string_view(record.build), std::string_view(record.job), expires,
         record.summary ? SqlValue(std::string_view(summary)) : SqlValue(nullptr)});
    record_directory(connection, parent, record.mtime);
}

bool Catalogue::record_directory(MySqlConnection& connection, const std::string& path, std::int64_t mtime) {
    check_schema();
    bool made = false;
    // Directories deepest first: once one exists, its ancestors do too.
    for (std::string directory = path; !directory.empty(); directory = parent_of(directory)) {
        const std::string directory_parent = parent_of(directory);
        const std::string directory_name = name_of(directory);
        const SqlResult inserted = connection.execute(
            "INSERT IGNORE INTO artifacts (path, parent, name, is_directory, mtime) VALUES (?, ?, ?, 1, ?)",
            {std::string_view(directory), std::string_view(directory_parent), std::string_view(directory_name), mtime});
        if (inserted.affected_rows == 0) {
            break;
        }
        made = true;
    }
    return made;
}

void Catalogue::close_idle() {
    pool_.close_idle();
    lookups_.close_idle();
}

void Catalogue::drop_closed_idle() {
    pool_.drop_closed_idle();
    lookups_.drop_closed_idle();
}

int Catalogue::schema_version() {
    const SqlResult result = lookups_.with_connection(
        [](MySqlConnection& connection) { return connection.execute("SELECT MAX(version) FROM schema_version"); });
    return result.rows.empty() || !result.rows[0][0] ? 0 : static_cast<int>(std::stol(*result.rows[0][0]));
}

}  // namespace artifacts
