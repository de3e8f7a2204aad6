#include "swift_publish.h"

#include <http_log.h>

#include <algorithm>

#include "../core/swift_naming.h"
#include "../core/upload_policy.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// A body of unknown length reserves quota in steps that double from this size.
constexpr std::uint64_t kFirstReservation = 1 << 20;
// An upload of the same path that started this long ago has died with its process.
constexpr std::int64_t kStaleUploadSeconds = 3600;

}  // namespace

PathClaim::PathClaim(Catalogue& catalogue, std::string path, std::string jti, std::int64_t now)
    : catalogue_(catalogue), path_(std::move(path)), jti_(std::move(jti)), started_(now) {
    const bool claimed = catalogue_call([&] {
        return catalogue_.pool().with_connection([&](MySqlConnection& connection) {
            const SqlResult inserted =
                connection.execute("INSERT IGNORE INTO uploads_in_progress (path, jti, started_at) VALUES (?, ?, ?)",
                                   {std::string_view(path_), std::string_view(jti_), started_});
            if (inserted.affected_rows == 1) {
                return true;
            }
            const SqlResult taken = connection.execute(
                "UPDATE uploads_in_progress SET jti = ?, started_at = ? WHERE path = ? AND started_at < ?",
                {std::string_view(jti_), started_, std::string_view(path_), started_ - kStaleUploadSeconds});
            return taken.affected_rows == 1;
        });
    });
    if (!claimed) {
        refuse(HTTP_SERVICE_UNAVAILABLE, "upload_in_progress",
               "'" + path_ + "' is being uploaded by another request right now; try again when it is done");
    }
}

PathClaim::~PathClaim() {
    try {
        catalogue_.pool().with_connection([&](MySqlConnection& connection) {
            return connection.execute("DELETE FROM uploads_in_progress WHERE path = ? AND jti = ? AND started_at = ?",
                                      {std::string_view(path_), std::string_view(jti_), started_});
        });
    } catch (...) {
        // A claim left behind expires after kStaleUploadSeconds.
    }
}

QuotaReservation::QuotaReservation(UploadRequest& upload, MySqlLedger& ledger, std::uint64_t files)
    : upload_(upload),
      ledger_(ledger),
      files_(files),
      limited_(upload.claims.max_bytes.has_value() || upload.claims.max_files.has_value()) {}

QuotaReservation::~QuotaReservation() {
    if (reserved_bytes_ == 0 && reserved_files_ == 0) {
        return;
    }
    try {
        const auto entry = ledger_.open_entry(upload_.claims.jti);
        entry->release(reserved_bytes_, reserved_files_);
        entry->commit();
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, upload_.r,
                      ARTF_LOGNO(0217) "cannot give back the quota an upload reserved: %s", e.what());
    }
}

void QuotaReservation::cover(std::uint64_t bytes, bool exact) {
    if (!limited_ || (bytes <= reserved_bytes_ && reserved_files_ >= files_)) {
        return;
    }
    const std::uint64_t step = std::max(reserved_bytes_ * 2, kFirstReservation);
    const std::uint64_t target = exact ? bytes : std::max(bytes, std::min(step, max_file_size(upload_)));
    const auto entry = ledger_.open_entry(upload_.claims.jti);
    const std::uint64_t new_files = files_ - reserved_files_;
    std::uint64_t more = target - reserved_bytes_;
    if (check_quota(upload_.claims, entry->usage(), more, new_files)) {
        more = bytes - reserved_bytes_;  // the step is too much: ask for what is needed only
        if (auto refusal = check_quota(upload_.claims, entry->usage(), more, new_files)) {
            throw Refused{*refusal};
        }
    }
    entry->charge(more, new_files);
    entry->commit();
    reserved_bytes_ += more;
    reserved_files_ += new_files;
}

void QuotaReservation::settle(LedgerEntry& entry, std::uint64_t bytes, std::uint64_t files) {
    if (!limited_) {
        entry.charge(bytes, files);
        return;
    }
    if (bytes > reserved_bytes_ || files > reserved_files_) {
        throw std::logic_error("an upload stored more than it reserved");
    }
    entry.release(reserved_bytes_ - bytes, reserved_files_ - files);
}

UnpublishedObject::~UnpublishedObject() {
    if (container_.empty()) {
        return;
    }
    try {
        swift_.remove(container_, object_);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r_, ARTF_LOGNO(0218) "cannot delete the unpublished object %s/%s: %s",
                      container_.c_str(), object_.c_str(), e.what());
    }
}

void UnpublishedObject::stored(std::string container, std::string object) {
    container_ = std::move(container);
    object_ = std::move(object);
}

std::optional<ArtifactRecord> stored_row(Catalogue& catalogue, const std::string& path, std::int64_t now) {
    std::optional<CatalogueMatch> match = catalogue_call([&] { return catalogue.find(path, now); });
    if (!match || match->compressed_name) {
        return std::nullopt;
    }
    return std::move(match->record);
}

std::optional<ArtifactRecord> existing_file(Catalogue& catalogue, const std::string& path, std::int64_t now) {
    std::optional<ArtifactRecord> record = stored_row(catalogue, path, now);
    if (record && record->is_directory) {
        refuse(HTTP_CONFLICT, "exists", "'" + path + "' is a directory");
    }
    return record;
}

std::string container_for(const StorageConfig& storage, std::string_view path) {
    return shard_container(storage.container, storage.shards > 1 ? static_cast<unsigned>(storage.shards) : 1, path);
}

ObjectPlace place_for(const StorageConfig& storage, const std::string& path, const ArtifactRecord* replaced) {
    ObjectPlace place{container_for(storage, path), path};
    if (replaced != nullptr && replaced->container == place.container && replaced->object == place.object) {
        place.container += kOverwriteContainerSuffix;
    }
    return place;
}

void delete_replaced(SwiftClient& swift, request_rec* r, const ArtifactRecord& replaced) {
    if (replaced.store != "swift" || replaced.container.empty()) {
        return;  // not an object in Swift
    }
    try {
        swift.remove(replaced.container, replaced.object);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      ARTF_LOGNO(0219) "cannot delete %s/%s, which an overwrite of %s replaced: %s",
                      replaced.container.c_str(), replaced.object.c_str(), replaced.path.c_str(), e.what());
    }
}

HttpHeaders object_headers(const StorageConfig& storage, std::string_view content_type, bool gzip) {
    HttpHeaders headers{{"Content-Type", std::string(content_type)}};
    if (gzip) {
        headers.emplace_back("Content-Encoding", "gzip");
    }
    if (storage.retention > 0) {
        headers.emplace_back("X-Delete-After", std::to_string(storage.retention));
    }
    return headers;
}

ArtifactRecord record_for(const UploadRequest& upload, const StorageConfig& storage, std::string path,
                          std::string container, std::uint64_t size, std::string sha256, std::string etag,
                          std::string_view content_type, bool gzip) {
    ArtifactRecord record;
    record.object = path;
    record.path = std::move(path);
    record.size = size;
    record.mtime = apr_time_sec(apr_time_now());
    record.content_type = std::string(content_type);
    record.content_encoding = gzip ? "gzip" : "";
    record.sha256 = std::move(sha256);
    record.etag = std::move(etag);
    record.store = "swift";
    record.container = std::move(container);
    record.jti = upload.claims.jti;
    // Informational claims of any length: the catalogue keeps their first 1,024 bytes.
    record.build = upload.claims.build.substr(0, 1024);
    record.job = upload.claims.job.substr(0, 1024);
    if (storage.retention > 0) {
        record.expires_at = record.mtime + storage.retention;
    }
    return record;
}

}  // namespace artifacts::httpd
