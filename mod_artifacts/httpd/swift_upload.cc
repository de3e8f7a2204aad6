// Uploads with ArtifactsStore swift (SPEC §4 on the production storage): the body goes to
// Swift as a chunked stream while its SHA-256 and MD5 are computed; a bad body aborts the
// stream before its last chunk, so Swift never creates the object. Only once Swift has
// confirmed the object (ETag = MD5 of what was sent) is the catalogue row written, in one
// transaction with the token's charge. Quotas are reserved in the ledger before the bytes
// that use them are sent, so uploads through any number of servers never exceed them.
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <cstring>
#include <string>

#include "../backends/catalogue.h"
#include "../backends/fs_manifest.h"
#include "../backends/mysql_ledger.h"
#include "../backends/swift_client.h"
#include "../core/content_type.h"
#include "../core/digest.h"
#include "../core/escape.h"
#include "../core/gunzip.h"
#include "../core/manifest.h"
#include "../core/swift_naming.h"
#include "../core/upload_policy.h"
#include "body_reader.h"
#include "module.h"
#include "upload_reply.h"
#include "upload_request.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// A chunked body reserves quota in steps that double from this size.
constexpr std::uint64_t kFirstReservation = 1 << 20;
// An upload of the same path by another server that started this long ago has died.
constexpr std::int64_t kStaleUploadSeconds = 3600;

// Catalogue failures during an upload: the upload is answered 503 like a ledger failure.
template <typename Work>
auto catalogue_call(Work&& work) {
    try {
        return work();
    } catch (const CatalogueBusy& e) {
        throw LedgerBusy(e.what());
    } catch (const CatalogueUnavailable& e) {
        throw LedgerUnavailable(e.what());
    } catch (const CatalogueError& e) {
        throw LedgerUnavailable(e.what());
    }
}

// Runs `work` in the token's ledger transaction and commits, once more when InnoDB chose
// it as a deadlock victim (rows of a shared parent directory are inserted concurrently).
template <typename Work>
void in_transaction(MySqlLedger& ledger, const std::string& jti, Work&& work) {
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        try {
            const auto entry = ledger.open_entry(jti);
            catalogue_call([&] {
                work(*entry);
                return 0;
            });
            entry->commit();
            return;
        } catch (const LedgerBusy&) {
            if (attempt == kAttempts) {
                throw;
            }
        }
    }
}

// One upload of a path at a time, across every server: a second one is refused (409)
// instead of racing the first inside Swift.
class PathClaim {
public:
    PathClaim(Catalogue& catalogue, std::string path, std::string jti, std::int64_t now)
        : catalogue_(catalogue), path_(std::move(path)), jti_(std::move(jti)), started_(now) {
        const bool claimed = catalogue_call([&] {
            return catalogue_.pool().with_connection([&](MySqlConnection& connection) {
                const SqlResult inserted = connection.execute(
                    "INSERT IGNORE INTO uploads_in_progress (path, jti, started_at) VALUES (?, ?, ?)",
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
            refuse(HTTP_CONFLICT, "upload_in_progress",
                   "'" + path_ + "' is being uploaded by another request right now; try again when it is done");
        }
    }
    ~PathClaim() {
        try {
            catalogue_.pool().with_connection([&](MySqlConnection& connection) {
                return connection.execute(
                    "DELETE FROM uploads_in_progress WHERE path = ? AND jti = ? AND started_at = ?",
                    {std::string_view(path_), std::string_view(jti_), started_});
            });
        } catch (...) {
            // A claim left behind expires after kStaleUploadSeconds.
        }
    }
    PathClaim(const PathClaim&) = delete;
    PathClaim& operator=(const PathClaim&) = delete;

private:
    Catalogue& catalogue_;
    std::string path_;
    std::string jti_;
    std::int64_t started_;
};

// Quota reserved in the ledger ahead of the bytes that use it; what was not used is
// given back when the upload ends, whatever ended it.
class QuotaReservation {
public:
    QuotaReservation(UploadRequest& upload, MySqlLedger& ledger, std::uint64_t files)
        : upload_(upload),
          ledger_(ledger),
          files_(files),
          limited_(upload.claims.max_bytes || upload.claims.max_files) {}
    ~QuotaReservation() {
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
    QuotaReservation(const QuotaReservation&) = delete;
    QuotaReservation& operator=(const QuotaReservation&) = delete;

    // Reserves so that `bytes` are covered, in growing steps unless `exact`.
    void cover(std::uint64_t bytes, bool exact) {
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

    // In the publishing transaction: the charge becomes what was stored.
    void settle(LedgerEntry& entry, std::uint64_t bytes, std::uint64_t files) {
        if (!limited_) {
            entry.charge(bytes, files);
            return;
        }
        if (bytes > reserved_bytes_ || files > reserved_files_) {
            throw std::logic_error("an upload stored more than it reserved");
        }
        entry.release(reserved_bytes_ - bytes, reserved_files_ - files);
    }
    // The publishing transaction committed: nothing is left to give back.
    void settled() { reserved_bytes_ = reserved_files_ = 0; }

private:
    UploadRequest& upload_;
    MySqlLedger& ledger_;
    std::uint64_t files_;
    bool limited_;
    std::uint64_t reserved_bytes_ = 0;
    std::uint64_t reserved_files_ = 0;
};

// Deletes an object whose upload could not be completed, unless it was published.
class UnpublishedObject {
public:
    UnpublishedObject(SwiftClient& swift, request_rec* r) : swift_(swift), r_(r) {}
    ~UnpublishedObject() {
        if (container_.empty()) {
            return;
        }
        try {
            swift_.remove(container_, object_);
        } catch (const std::exception& e) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r_,
                          ARTF_LOGNO(0218) "cannot delete the unpublished object %s/%s: %s", container_.c_str(),
                          object_.c_str(), e.what());
        }
    }
    void stored(std::string container, std::string object) {
        container_ = std::move(container);
        object_ = std::move(object);
    }
    void published() { container_.clear(); }

private:
    SwiftClient& swift_;
    request_rec* r_;
    std::string container_;
    std::string object_;
};

// The body of a refused PUT is read (so the connection survives) and hashed.
std::string hash_body(UploadRequest& upload) {
    BodyReader body(upload.r);
    Sha256 sha;
    std::uint64_t size = 0;
    for (std::string_view piece = body.next(); !piece.empty(); piece = body.next()) {
        size += piece.size();
        if (size > max_file_size(upload)) {
            throw Refused{file_too_large(max_file_size(upload))};
        }
        sha.update(piece);
    }
    mark_body_read(upload.r);
    return sha.hex_digest();
}

std::optional<ArtifactRecord> existing_file(Catalogue& catalogue, const std::string& path, std::int64_t now) {
    const std::optional<CatalogueMatch> match = catalogue_call([&] { return catalogue.find(path, now); });
    if (!match || match->compressed_name) {
        return std::nullopt;
    }
    if (match->record.is_directory) {
        refuse(HTTP_CONFLICT, "exists", "'" + path + "' is a directory");
    }
    return match->record;
}

int reply_stored(UploadRequest& upload, bool created, std::uint64_t size, const std::string& sha256) {
    std::string reply;
    append_stored_file_json(reply, upload.relative, size, sha256, url_for(upload, upload.relative));
    reply += "\n";
    if (created) {
        apr_table_setn(upload.r->headers_out, "Location",
                       apr_pstrdup(upload.r->pool, url_for(upload, upload.relative).c_str()));
    }
    return send_json(upload.r, created ? HTTP_CREATED : HTTP_OK, reply);
}

std::string container_for(const StorageConfig& storage, std::string_view path) {
    return shard_container(storage.container, storage.shards > 1 ? static_cast<unsigned>(storage.shards) : 1, path);
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

ArtifactRecord record_for(const UploadRequest& upload, const StorageConfig& storage, std::string container,
                          std::uint64_t size, std::string sha256, std::string etag, std::string_view content_type,
                          bool gzip) {
    ArtifactRecord record;
    record.path = upload.relative;
    record.size = size;
    record.mtime = apr_time_sec(apr_time_now());
    record.content_type = std::string(content_type);
    record.content_encoding = gzip ? "gzip" : "";
    record.sha256 = std::move(sha256);
    record.etag = std::move(etag);
    record.store = "swift";
    record.container = std::move(container);
    record.object = upload.relative;
    record.jti = upload.claims.jti;
    record.build = upload.claims.build;
    record.job = upload.claims.job;
    if (storage.retention > 0) {
        record.expires_at = record.mtime + storage.retention;
    }
    return record;
}

}  // namespace

int put_to_swift(UploadRequest& upload, const StorageConfig& storage) {
    request_rec* r = upload.r;
    const SplitPath target = split_path(upload.relative);
    if (target.name.empty()) {
        refuse(HTTP_BAD_REQUEST, "bad_path", "PUT needs a file name, not a directory path ending with '/'");
    }
    if (auto refusal = check_file_target(upload.claims, *upload.conf->kinds, upload.relative)) {
        throw Refused{*refusal};
    }
    if (upload.relative.size() > kMaxCataloguePath) {
        refuse(HTTP_BAD_REQUEST, "bad_path",
               "the path is longer than the catalogue holds (" + std::to_string(kMaxCataloguePath) + " bytes)");
    }
    const bool gzip = gzip_body(r);
    const char* expected_sha = expected_sha256(r);
    const auto length = declared_length(upload);
    Catalogue& catalogue = *storage.catalogue;
    SwiftClient& swift = *storage.swift;
    const std::int64_t now = apr_time_sec(r->request_time);
    const std::optional<ArtifactRecord> existing = existing_file(catalogue, upload.relative, now);
    check_ledger_early(upload, existing ? 0 : length.value_or(0));
    if (existing && !upload.claims.overwrite) {
        const std::string sha256 = hash_body(upload);
        if (sha256 != existing->sha256 || existing->content_encoding != (gzip ? "gzip" : "")) {
            refuse(HTTP_CONFLICT, "exists",
                   "'" + upload.relative + "' already exists with other content (the token has no overwrite)");
        }
        audit(upload, "already stored", upload.relative, existing->size, sha256);
        return reply_stored(upload, false, existing->size, sha256);
    }

    const PathClaim claim(catalogue, upload.relative, upload.claims.jti, now);
    MySqlLedger ledger(catalogue.pool());
    const std::uint64_t new_files = existing ? 0 : 1;
    QuotaReservation quota(upload, ledger, new_files);
    if (length) {
        quota.cover(*length, true);
    }
    const std::string container = container_for(storage, upload.relative);
    const std::string_view content_type = content_type_for(target.name).media_type;
    const std::uint64_t limit = max_file_size(upload);
    BodyReader body(r);
    Sha256 sha;
    std::uint64_t size = 0;
    std::string_view pending;
    bool ended = false;
    std::string sha256;
    const auto read_body = [&](char* buffer, std::size_t capacity) -> std::size_t {
        if (pending.empty() && !ended) {
            pending = body.next();
            if (pending.empty()) {
                ended = true;
                mark_body_read(r);
                sha256 = sha.hex_digest();
                if (expected_sha != nullptr && strcasecmp(expected_sha, sha256.c_str()) != 0) {
                    refuse(HTTP_BAD_REQUEST, "checksum_mismatch",
                           "the body's SHA-256 is not the X-Artifact-Sha256 sent");
                }
                return 0;  // the last chunk: Swift creates the object
            }
            if (gzip && size == 0 && !may_start_gzip(pending)) {
                refuse(HTTP_BAD_REQUEST, "bad_encoding", "the body says Content-Encoding: gzip but is not gzip data");
            }
            if (size + pending.size() > limit) {
                throw Refused{file_too_large(limit)};
            }
            quota.cover(size + pending.size(), false);
            size += pending.size();
            sha.update(pending);
        }
        const std::size_t n = std::min(capacity, pending.size());
        std::memcpy(buffer, pending.data(), n);
        pending.remove_prefix(n);
        return n;
    };
    UnpublishedObject unpublished(swift, r);
    const std::string etag =
        swift.put(container, upload.relative, object_headers(storage, content_type, gzip), read_body, -1);
    if (!existing) {
        unpublished.stored(container, upload.relative);
    }
    const bool identical = existing && existing->sha256 == sha256 && existing->content_encoding == (gzip ? "gzip" : "");
    const ArtifactRecord record = record_for(upload, storage, container, size, sha256, etag, content_type, gzip);
    in_transaction(ledger, upload.claims.jti, [&](MySqlLedgerEntry& entry) {
        if (auto refusal = check_quota(upload.claims, entry.usage(), 0, 0)) {
            throw Refused{*refusal};  // sealed while the body arrived
        }
        quota.settle(entry, identical ? 0 : size, new_files);
        catalogue.record(entry.connection(), record);
    });
    quota.settled();
    unpublished.published();
    audit(upload, identical ? "already stored" : "stored", upload.relative, size, sha256);
    return reply_stored(upload, !identical, size, sha256);
}

int seal_in_swift(UploadRequest& upload, const StorageConfig& storage) {
    request_rec* r = upload.r;
    if (upload.relative != upload.claims.scope) {
        refuse(HTTP_FORBIDDEN, "out_of_scope",
               "?seal takes the token's scope '" + upload.claims.scope + "', not '" + upload.relative + "'");
    }
    ap_discard_request_body(r);
    mark_body_read(r);
    Catalogue& catalogue = *storage.catalogue;
    MySqlLedger ledger(catalogue.pool());
    if (auto refusal = check_quota(upload.claims, ledger.peek(upload.claims.jti), 0, 0)) {
        throw Refused{*refusal};
    }
    const std::string manifest_path = upload.relative + std::string(kManifestName);
    std::vector<ManifestFile> files;
    catalogue_call([&] {
        catalogue.for_each_below(upload.relative, apr_time_sec(r->request_time), [&](const ArtifactRecord& record) {
            if (record.path == manifest_path) {
                return;
            }
            std::string name = record.path.substr(upload.relative.size());
            if (record.content_encoding == "gzip") {
                name += ".gz";  // as the filesystem store names a compressed upload
            }
            files.push_back(ManifestFile{std::move(name), record.size, record.mtime});
        });
        return 0;
    });
    StringSink text;
    ManifestWriter manifest(text);
    write_manifest_from_files(std::move(files), manifest);
    const std::string& body = text.str();
    Sha256 sha;
    sha.update(body);
    const std::string sha256 = sha.hex_digest();
    const std::string container = container_for(storage, manifest_path);
    std::size_t offset = 0;
    const std::string etag = storage.swift->put(
        container, manifest_path, object_headers(storage, "application/json", false),
        [&](char* buffer, std::size_t capacity) {
            const std::size_t n = std::min(capacity, body.size() - offset);
            std::memcpy(buffer, body.data() + offset, n);
            offset += n;
            return n;
        },
        static_cast<std::int64_t>(body.size()));
    UploadRequest manifest_upload{r, upload.conf, upload.claims, manifest_path, upload.ledger};
    const ArtifactRecord record =
        record_for(manifest_upload, storage, container, body.size(), sha256, etag, "application/json", false);
    in_transaction(ledger, upload.claims.jti, [&](MySqlLedgerEntry& entry) {
        if (auto refusal = check_quota(upload.claims, entry.usage(), 0, 0)) {
            throw Refused{*refusal};  // sealed by another request meanwhile
        }
        catalogue.record(entry.connection(), record);
        entry.seal(apr_time_sec(r->request_time));
    });
    audit(upload, "sealed with", manifest_path, body.size(), sha256);
    std::string reply;
    append_stored_file_json(reply, manifest_path, body.size(), sha256, url_for(upload, manifest_path));
    reply.insert(reply.size() - 1, ",\"sealed\":true");
    reply += "\n";
    return send_json(r, HTTP_OK, reply);
}

}  // namespace artifacts::httpd
