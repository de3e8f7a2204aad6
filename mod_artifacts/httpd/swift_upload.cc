// Uploads with ArtifactsStore swift (the upload API on the production storage): the body goes to
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
#include <optional>
#include <string>

#include "../backends/catalogue.h"
#include "../core/manifest/manifest.h"
#include "../backends/mysql_ledger.h"
#include "../backends/swift_client.h"
#include "../core/http/content_type.h"
#include "../core/codec/digest.h"
#include "../core/codec/escape.h"
#include "../core/codec/gunzip.h"
#include "../core/manifest/manifest.h"
#include "../core/store/swift_naming.h"
#include "../core/policy/upload_policy.h"
#include "body_reader.h"
#include "module.h"
#include "upload_reply.h"
#include "swift_publish.h"
#include "upload_request.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// The body of a PUT the catalogue already holds is read (so the connection survives),
// checked as any body is, and hashed: the same bytes are an idempotent retry.
std::string hash_body(UploadRequest& upload, BodyChecks& checks) {
    BodyReader body(upload.r);
    Sha256 sha;
    for (std::string_view piece = body.next(); !piece.empty(); piece = body.next()) {
        checks.take(piece);
        sha.update(piece);
    }
    mark_body_read(upload.r);
    std::string sha256 = sha.hex_digest();
    checks.finish(sha256);
    return sha256;
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

}  // namespace

int put_to_swift(UploadRequest& upload, const StorageConfig& storage) {
    request_rec* r = upload.r;
    const SplitPath target = check_put_target(upload);
    const bool gzip = gzip_body(r);
    BodyChecks checks(upload, gzip);
    const auto length = declared_length(upload);
    Catalogue& catalogue = *storage.catalogue;
    SwiftClient& swift = *storage.swift;
    const std::int64_t now = apr_time_sec(r->request_time);
    MySqlLedger ledger(catalogue.pool());
    // Claimed before the lookup, so what the lookup finds holds until the commit: no other
    // upload can store the path in between (and be overwritten without `overwrite`).
    UploadClaims claims(catalogue, upload, ledger);
    claims.claim(upload.relative);
    const std::optional<ArtifactRecord> existing = existing_file(catalogue, upload.relative, now);
    // A row whose object is gone (lost to an earlier fault) is stored again, never confirmed.
    const bool readable = existing && object_exists(swift, *existing);
    if (existing && !readable) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      ARTF_LOGNO(0225) "the row of %s names %s/%s, which Swift does not have: storing it again",
                      upload.relative.c_str(), existing->container.c_str(), existing->object.c_str());
    }
    check_ledger_early(upload, existing ? 0 : length.value_or(0));
    if (readable && !upload.claims.overwrite) {
        const std::string sha256 = hash_body(upload, checks);
        if (sha256 != existing->sha256 || existing->content_encoding != (gzip ? "gzip" : "")) {
            refuse_other_content(upload.relative);
        }
        audit(upload, "already stored", upload.relative, existing->size, sha256);
        return reply_stored(upload, false, existing->size, sha256);
    }

    const std::uint64_t new_files = existing ? 0 : 1;
    if (length) {
        claims.reserve(*length, new_files, true);
    }
    const ObjectPlace place = place_for(storage, upload.relative, existing ? &*existing : nullptr);
    if (claims.took_over()) {
        remove_leftover(swift, r, place.container, place.object);
    }
    const ContentType type = content_type_for(target.name);
    // A name.gz sent as it is (no Content-Encoding) is served as the compressed file it is.
    const std::string_view content_type = type.encoding.empty() || gzip ? type.media_type : "application/gzip";
    BodyReader body(r);
    Sha256 sha;
    std::string_view pending;
    bool ended = false;
    std::string sha256;
    const auto read_body = [&](char* buffer, std::size_t capacity) -> std::size_t {
        if (pending.empty() && !ended) {
            pending = body.next();
            claims.keep_alive();
            if (pending.empty()) {
                ended = true;
                mark_body_read(r);
                sha256 = sha.hex_digest();
                checks.finish(sha256);
                return 0;  // the last chunk: Swift creates the object
            }
            checks.take(pending);
            claims.reserve(checks.size(), new_files, false);
            sha.update(pending);
        }
        const std::size_t n = std::min(capacity, pending.size());
        std::memcpy(buffer, pending.data(), n);
        pending.remove_prefix(n);
        return n;
    };
    UnpublishedObject unpublished(swift, r, claims);
    const std::string etag =
        swift.put(place.container, place.object, object_headers(storage, content_type, gzip), read_body, -1);
    unpublished.stored(place.container, place.object);
    const std::uint64_t size = checks.size();
    const bool identical = existing && existing->sha256 == sha256 && existing->content_encoding == (gzip ? "gzip" : "");
    if (existing && !identical && !upload.claims.overwrite) {
        refuse_other_content(upload.relative);
    }
    const ArtifactRecord record =
        record_for(upload, storage, upload.relative, place.container, size, sha256, etag, content_type, gzip);
    publish(
        ledger, claims, upload.claims.jti,
        [&](MySqlLedgerEntry& entry) {
            if (auto refusal = check_quota(upload.claims, entry.usage(), 0, 0)) {
                throw Refused{*refusal};  // sealed while the body arrived
            }
            claims.settle(entry, identical ? 0 : size, new_files);
            catalogue.record(entry.connection(), record);
        },
        [&](MySqlConnection& connection) { return row_is(connection, record); });
    unpublished.published();
    if (existing) {
        delete_replaced(swift, r, *existing);
    }
    const bool created = !identical || !readable;
    audit(upload, created ? "stored" : "already stored", upload.relative, size, sha256);
    return reply_stored(upload, created, size, sha256);
}

int make_directory_in_swift(UploadRequest& upload, const StorageConfig& storage) {
    const std::string directory = check_directory_put(upload);
    const std::string path = directory.substr(0, directory.size() - 1);  // the name a file there would have
    Catalogue& catalogue = *storage.catalogue;
    const std::int64_t now = apr_time_sec(upload.r->request_time);
    MySqlLedger ledger(catalogue.pool());
    UploadClaims claims(catalogue, upload, ledger);
    claims.claim(path);
    const std::optional<ArtifactRecord> existing = stored_row(catalogue, path, now);
    if (existing && !existing->is_directory) {
        refuse(HTTP_CONFLICT, "not_a_directory", "'" + path + "' is a file, not a directory");
    }
    check_ledger_early(upload, 0);
    if (existing) {
        return reply_directory(upload, false);
    }
    // A new directory is a file of max_files, as on the filesystem store.
    claims.reserve(0, 1, true);
    const auto directory_row = [&](MySqlConnection& connection) {
        return !connection
                    .execute("SELECT 1 FROM artifacts WHERE path = ? AND is_directory = 1",
                             {std::string_view(directory)})
                    .rows.empty();
    };
    bool made = false;
    publish(
        ledger, claims, upload.claims.jti,
        [&](MySqlLedgerEntry& entry) {
            if (auto refusal = check_quota(upload.claims, entry.usage(), 0, 0)) {
                throw Refused{*refusal};  // sealed meanwhile
            }
            made = catalogue.record_directory(entry.connection(), directory, now);
            claims.settle(entry, 0, made ? 1 : 0);
        },
        directory_row);
    if (made) {
        audit(upload, "made directory", directory, 0, "-");
    }
    return reply_directory(upload, made);
}

int seal_in_swift(UploadRequest& upload, const StorageConfig& storage) {
    request_rec* r = upload.r;
    check_seal_request(upload);
    Catalogue& catalogue = *storage.catalogue;
    const std::int64_t now = apr_time_sec(r->request_time);
    const std::string manifest_path = upload.relative + std::string(kManifestName);
    MySqlLedger ledger(catalogue.pool());
    // Claimed before the token's row is locked: taking over a claim a failed seal left
    // locks that row too.
    UploadClaims claims(catalogue, upload, ledger);
    claims.claim(manifest_path);
    // The token's row stays locked from here to the seal: an upload of this token that
    // finishes meanwhile waits, then finds the token sealed (410) instead of missing from
    // the manifest.
    auto entry = ledger.open_entry(upload.claims.jti);
    if (auto refusal = check_quota(upload.claims, entry->usage(), 0, 0)) {
        throw Refused{*refusal};
    }
    std::vector<ManifestFile> files;
    catalogue_call([&] {
        catalogue.for_each_below(upload.relative, now, [&](const ArtifactRecord& record) {
            if (record.path == manifest_path) {
                return;
            }
            std::string name = record.path.substr(upload.relative.size());
            if (record.is_directory) {
                // "a/": listed even when nothing is in it, as Zuul's generator does
            } else if (record.content_encoding == "gzip") {
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
    const std::optional<ArtifactRecord> existing = existing_file(catalogue, manifest_path, now);
    const ObjectPlace place = place_for(storage, manifest_path, existing ? &*existing : nullptr);
    UnpublishedObject unpublished(*storage.swift, r, claims);
    std::size_t offset = 0;
    const std::string etag = storage.swift->put(
        place.container, place.object, object_headers(storage, "application/json", false),
        [&](char* buffer, std::size_t capacity) {
            const std::size_t n = std::min(capacity, body.size() - offset);
            std::memcpy(buffer, body.data() + offset, n);
            offset += n;
            return n;
        },
        static_cast<std::int64_t>(body.size()));
    unpublished.stored(place.container, place.object);
    const ArtifactRecord record = record_for(upload, storage, manifest_path, place.container, body.size(), sha256, etag,
                                             "application/json", false);
    catalogue_call([&] {
        claims.settle(*entry, 0, 0);
        catalogue.record(entry->connection(), record);
        return 0;
    });
    entry->seal(now);
    commit_publication(ledger, *entry, claims, [&](MySqlConnection& connection) { return row_is(connection, record); });
    unpublished.published();
    if (existing) {
        delete_replaced(*storage.swift, r, *existing);
    }
    audit(upload, "sealed with", manifest_path, body.size(), sha256);
    std::string reply;
    append_stored_file_json(reply, manifest_path, body.size(), sha256, url_for(upload, manifest_path));
    reply.insert(reply.size() - 1, ",\"sealed\":true");
    reply += "\n";
    return send_json(r, HTTP_OK, reply);
}

}  // namespace artifacts::httpd
