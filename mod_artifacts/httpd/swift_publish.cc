#include "swift_publish.h"

#include <http_log.h>

#include <algorithm>

#include "../core/codec/digest.h"
#include "../core/store/swift_naming.h"
#include "../core/policy/upload_policy.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// A body of unknown length reserves quota in steps that double from this size.
constexpr std::uint64_t kFirstReservation = 1 << 20;
// A claim's lease: renewed every third of it while the upload works; an owner that could
// not renew stops touching Swift kLeaseMargin before it runs out.
constexpr int kLeaseSeconds = 15;
constexpr auto kRenewEvery = std::chrono::seconds(kLeaseSeconds / 3);
constexpr auto kLeaseMargin = std::chrono::seconds(3);

[[noreturn]] void refuse_busy(const std::string& path) {
    refuse(HTTP_SERVICE_UNAVAILABLE, "upload_in_progress",
           "'" + path + "' is being uploaded by another request right now; try again when it is done");
}

std::uint64_t to_unsigned(const std::optional<std::string>& text) {
    return text ? std::stoull(*text) : 0;
}

}  // namespace

UploadClaims::UploadClaims(Catalogue& catalogue, UploadRequest& upload, MySqlLedger& ledger)
    : catalogue_(catalogue),
      upload_(upload),
      ledger_(ledger),
      owner_(random_hex(16)),
      limited_(upload.claims.max_bytes.has_value() || upload.claims.max_files.has_value()) {}

UploadClaims::~UploadClaims() {
    // Whatever ended the upload, its own claims (by owner) and what they reserved go
    // together. After a lost COMMIT this waits for the old transaction's locks, so it finds
    // the claims only if that transaction did not apply.
    if (state_ != State::Published && attempted_) {
        release();
    }
}

void UploadClaims::release() noexcept {
    try {
        // Insisting: right after a failure the pool may stand back, and a claim left here
        // blocks the path until its lease runs out.
        const auto entry = ledger_.open_entry(upload_.claims.jti, true);
        MySqlConnection& connection = entry->connection();
        const SqlResult reserved = connection.execute(
            "SELECT SUM(reserved_bytes), SUM(reserved_files) FROM uploads_in_progress WHERE owner = ? FOR UPDATE",
            {std::string_view(owner_)});
        if (!reserved.rows.empty()) {
            entry->release(to_unsigned(reserved.rows[0][0]), to_unsigned(reserved.rows[0][1]));
        }
        connection.execute("DELETE FROM uploads_in_progress WHERE owner = ?", {std::string_view(owner_)});
        entry->commit();
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, upload_.r,
                      ARTF_LOGNO(0217) "cannot end the claims of a failed upload and give back the quota it "
                                       "reserved; whoever takes them over in %d s does: %s",
                      kLeaseSeconds, e.what());
    }
}

void UploadClaims::renewed(std::chrono::steady_clock::time_point sent) {
    lease_end_ = sent + std::chrono::seconds(kLeaseSeconds);
    next_renewal_ = sent + kRenewEvery;
}

void UploadClaims::lose(const std::string& why) {
    state_ = State::Lost;
    refuse(HTTP_SERVICE_UNAVAILABLE, "unavailable",
           "the upload lost its claim on the path (" + why + "); nothing was stored, try again");
}

void UploadClaims::claim(const std::string& path) {
    attempted_ = true;
    const auto sent = std::chrono::steady_clock::now();
    const std::int64_t now = apr_time_sec(upload_.r->request_time);
    for (int attempt = 0; attempt < 3; ++attempt) {
        const SqlResult found = catalogue_call([&] {
            return catalogue_.pool().with_connection([&](MySqlConnection& connection) {
                SqlResult inserted = connection.execute(
                    "INSERT IGNORE INTO uploads_in_progress (path, jti, owner, started_at, lease_until) "
                    "VALUES (?, ?, ?, ?, UNIX_TIMESTAMP() + ?)",
                    {std::string_view(path), std::string_view(upload_.claims.jti), std::string_view(owner_), now,
                     std::int64_t{kLeaseSeconds}});
                if (inserted.affected_rows == 1) {
                    return inserted;
                }
                return connection.execute(
                    "SELECT owner, jti, lease_until < UNIX_TIMESTAMP() FROM uploads_in_progress WHERE path = ?",
                    {std::string_view(path)});
            });
        });
        if (found.affected_rows != 1) {
            if (found.rows.empty()) {
                continue;  // the holder finished between the two statements
            }
            const SqlRow& row = found.rows[0];
            const std::string holder = row[0].value_or("");
            // Our own claim when an earlier try's INSERT landed but its answer was lost.
            if (holder != owner_) {
                if (row[2].value_or("0") != "1") {
                    refuse_busy(path);
                }
                take_over(path, holder, row[1].value_or(""));
            }
        }
        if (paths_.empty()) {
            renewed(sent);
            first_path_ = path;
        }
        paths_.insert(path);
        return;
    }
    refuse_busy(path);
}

void UploadClaims::take_over(const std::string& path, const std::string& stale_owner, const std::string& stale_jti) {
    // Locks in the order every other transaction takes them: the token's row, then the claim.
    const auto entry = ledger_.open_entry(stale_jti);
    MySqlConnection& connection = entry->connection();
    const SqlResult claimed = catalogue_call([&] {
        return connection.execute(
            "SELECT reserved_bytes, reserved_files FROM uploads_in_progress "
            "WHERE path = ? AND owner = ? AND lease_until < UNIX_TIMESTAMP() FOR UPDATE",
            {std::string_view(path), std::string_view(stale_owner)});
    });
    if (claimed.rows.empty()) {
        refuse_busy(path);  // renewed or taken by someone else meanwhile
    }
    entry->release(to_unsigned(claimed.rows[0][0]), to_unsigned(claimed.rows[0][1]));
    catalogue_call([&] {
        return connection.execute(
            "UPDATE uploads_in_progress SET jti = ?, owner = ?, started_at = ?, lease_until = UNIX_TIMESTAMP() + ?, "
            "reserved_bytes = 0, reserved_files = 0 WHERE path = ?",
            {std::string_view(upload_.claims.jti), std::string_view(owner_),
             std::int64_t{apr_time_sec(upload_.r->request_time)}, std::int64_t{kLeaseSeconds}, std::string_view(path)});
    });
    entry->commit();
    took_over_ = true;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, upload_.r,
                  ARTF_LOGNO(0223) "took over the claim on %s of an upload whose lease ran out", path.c_str());
}

void UploadClaims::keep_alive() {
    const auto now = std::chrono::steady_clock::now();
    if (paths_.empty() || now < next_renewal_) {
        return;
    }
    try {
        const SqlResult renewed_rows = catalogue_.pool().with_connection([&](MySqlConnection& connection) {
            return connection.execute(
                "UPDATE uploads_in_progress SET lease_until = UNIX_TIMESTAMP() + ? WHERE owner = ?",
                {std::int64_t{kLeaseSeconds}, std::string_view(owner_)});
        });
        if (renewed_rows.affected_rows < paths_.size()) {
            lose("another upload took it over");
        }
        renewed(now);
        return;
    } catch (const std::exception&) {
        next_renewal_ = now + std::chrono::seconds(1);  // not yet: the lease may still hold
    }
    if (now + kLeaseMargin >= lease_end_) {
        lose("its lease could not be renewed");
    }
}

void UploadClaims::reserve(std::uint64_t bytes, std::uint64_t files, bool exact) {
    if (!limited_ || (bytes <= reserved_bytes_ && files <= reserved_files_)) {
        return;
    }
    if (paths_.empty()) {
        throw std::logic_error("a reservation needs a claim to live on");
    }
    const std::uint64_t step = std::max(reserved_bytes_ * 2, kFirstReservation);
    const std::uint64_t target =
        std::max(reserved_bytes_, exact ? bytes : std::max(bytes, std::min(step, max_file_size(upload_))));
    const auto entry = ledger_.open_entry(upload_.claims.jti);
    const std::uint64_t new_files = files > reserved_files_ ? files - reserved_files_ : 0;
    std::uint64_t more = target - reserved_bytes_;
    if (check_quota(upload_.claims, entry->usage(), more, new_files)) {
        more = bytes > reserved_bytes_ ? bytes - reserved_bytes_ : 0;  // the step is too much: what is needed only
        if (auto refusal = check_quota(upload_.claims, entry->usage(), more, new_files)) {
            throw Refused{*refusal};
        }
    }
    entry->charge(more, new_files);
    const SqlResult kept = catalogue_call([&] {
        return entry->connection().execute(
            "UPDATE uploads_in_progress SET reserved_bytes = reserved_bytes + ?, reserved_files = reserved_files + ? "
            "WHERE path = ? AND owner = ?",
            {more, new_files, std::string_view(first_path_), std::string_view(owner_)});
    });
    if (kept.affected_rows != 1) {
        lose("another upload took it over");
    }
    entry->commit();
    reserved_bytes_ += more;
    reserved_files_ += new_files;
}

void UploadClaims::settle(MySqlLedgerEntry& entry, std::uint64_t bytes, std::uint64_t files) {
    if (!limited_) {
        entry.charge(bytes, files);
    } else if (bytes > reserved_bytes_ || files > reserved_files_) {
        throw std::logic_error("an upload stored more than it reserved");
    } else {
        entry.release(reserved_bytes_ - bytes, reserved_files_ - files);
    }
    if (paths_.empty()) {
        return;
    }
    const SqlResult ended_rows =
        entry.connection().execute("DELETE FROM uploads_in_progress WHERE owner = ?", {std::string_view(owner_)});
    if (ended_rows.affected_rows != paths_.size()) {
        lose("another upload took it over");
    }
}

bool UploadClaims::ended(MySqlConnection& connection) {
    const SqlResult left =
        connection.execute("SELECT COUNT(*) FROM uploads_in_progress WHERE owner = ?", {std::string_view(owner_)});
    return !left.rows.empty() && left.rows[0][0].value_or("") == "0";
}

bool UploadClaims::may_delete_objects() const {
    if (state_ == State::Unknown || state_ == State::Lost) {
        return false;
    }
    // Past the lease another upload may have taken the path and be writing its object.
    return paths_.empty() || std::chrono::steady_clock::now() + kLeaseMargin < lease_end_;
}

namespace {

// Learns the outcome of a lost COMMIT (see commit_publication).
void resolve_publication(MySqlLedger& ledger, UploadClaims& claims, const LedgerOutcomeUnknown& lost,
                         const std::function<bool(MySqlConnection&)>& committed) {
    request_rec* r = claims.request();
    const std::optional<bool> outcome = ledger.pool().resolve_lost_commit(lost.thread_id(), committed);
    if (outcome && *outcome) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      ARTF_LOGNO(0222) "the answer to COMMIT was lost (%s); it had applied: the upload is stored",
                      lost.what());
        claims.published();
        return;
    }
    if (outcome) {
        throw LedgerUnavailable(std::string(lost.what()) + "; it had not applied");
    }
    claims.outcome_unknown();
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  ARTF_LOGNO(0221) "the answer to COMMIT was lost (%s) and the catalogue could not be asked "
                                   "whether it applied: the objects are kept, the claims left to their lease",
                  lost.what());
    refuse(HTTP_SERVICE_UNAVAILABLE, "outcome_unknown",
           "the catalogue did not confirm whether the upload was stored; send it again (an identical upload "
           "is confirmed, not stored twice)");
}

}  // namespace

void commit_publication(MySqlLedger& ledger, MySqlLedgerEntry& entry, UploadClaims& claims,
                        const std::function<bool(MySqlConnection&)>& committed) {
    try {
        entry.commit();
        claims.published();
        return;
    } catch (const LedgerOutcomeUnknown& lost) {
        resolve_publication(ledger, claims, lost, [&](MySqlConnection& connection) {
            return claims.ended(connection) && committed(connection);
        });
    }
}

bool row_is(MySqlConnection& connection, const ArtifactRecord& record) {
    const SqlResult found = connection.execute("SELECT container, object, etag, sha256 FROM artifacts WHERE path = ?",
                                               {std::string_view(record.path)});
    if (found.rows.empty()) {
        return false;
    }
    const SqlRow& row = found.rows[0];
    return row[0].value_or("") == record.container && row[1].value_or("") == record.object &&
           row[2].value_or("") == record.etag && row[3].value_or("") == record.sha256;
}

UnpublishedObject::~UnpublishedObject() {
    if (container_.empty()) {
        return;
    }
    if (!claims_->may_delete_objects()) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r_,
                      ARTF_LOGNO(0220) "keeping %s/%s: a committed row may name it, or another upload may be "
                                       "writing it now",
                      container_.c_str(), object_.c_str());
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

bool object_exists(SwiftClient& swift, const ArtifactRecord& record) {
    const HttpResponse response = swift.fetch(true, record.container, record.object, {}, nullptr, nullptr);
    return response.status != 404;
}

void remove_leftover(SwiftClient& swift, request_rec* r, const std::string& container, const std::string& object) {
    try {
        swift.remove(container, object);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      ARTF_LOGNO(0224) "cannot delete %s/%s, left by an upload that did not finish: %s",
                      container.c_str(), object.c_str(), e.what());
    }
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
