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
#include <memory>
#include <string>

#include "../backends/catalogue_outbox.h"
#include "../backends/catalogue.h"
#include "../backends/mysql_ledger.h"
#include "../backends/swift_client.h"
#include "../core/http/content_type.h"
#include "../core/upload/put_pipeline.h"
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

// One PUT into Swift: the path claimed before it is looked up, so what the lookup finds
// holds until the commit (no other upload can store the path in between and be
// overwritten without `overwrite`); quota reserved before the bytes that use it are sent.
class SwiftPut final : public PutTransaction {
public:
    SwiftPut(UploadRequest& upload, const StorageConfig& storage, const PutTarget& target)
        : upload_(upload),
          storage_(storage),
          catalogue_(*storage.catalogue),
          swift_(*storage.swift),
          target_(target),
          ledger_(catalogue_.pool(), token_facts(upload.claims)),
          claims_(catalogue_, upload, ledger_) {
        claims_.claim(target_.path);
        row_ = existing_file(catalogue_, target_.path, apr_time_sec(upload_.r->request_time));
        // A row whose object is gone (lost to an earlier fault) is stored again, never confirmed.
        if (row_ && !object_exists(swift_, *row_)) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, upload_.r,
                          ARTF_LOGNO(0225) "the row of %s names %s/%s, which Swift does not have: storing it again",
                          target_.path.c_str(), row_->container.c_str(), row_->object.c_str());
        } else if (row_) {
            existing_ = StoredFile{row_->size, row_->sha256, row_->content_encoding == "gzip"};
        }
    }

    const std::optional<StoredFile>& existing() const override { return existing_; }

    void write(ByteSource& body, std::optional<std::uint64_t> declared) override {
        request_rec* r = upload_.r;
        new_files_ = row_ ? 0 : 1;
        if (declared) {
            claims_.reserve(*declared, new_files_, true);
        }
        const ObjectPlace place = place_for(storage_, target_.path, row_ ? &*row_ : nullptr);
        if (claims_.took_over()) {
            remove_leftover(swift_, r, place.container, place.object);
        }
        container_ = place.container;
        const ContentType type = content_type_for(split_path(target_.path).name);
        // A name.gz sent as it is (no Content-Encoding) is served as the compressed file it is.
        content_type_ = type.encoding.empty() || target_.gzip ? type.media_type : "application/gzip";
        std::string_view pending;
        bool ended = false;
        std::uint64_t sent = 0;
        const auto read_body = [&](char* buffer, std::size_t capacity) -> std::size_t {
            if (pending.empty() && !ended) {
                pending = body.next();  // the last (empty) piece only once the body passed its checks
                claims_.keep_alive();
                if (pending.empty()) {
                    ended = true;
                    return 0;  // the last chunk: Swift creates the object
                }
                sent += pending.size();
                claims_.reserve(sent, new_files_, false);
            }
            const std::size_t n = std::min(capacity, pending.size());
            std::memcpy(buffer, pending.data(), n);
            pending.remove_prefix(n);
            return n;
        };
        unpublished_.emplace(swift_, r, claims_);
        etag_ = swift_.put(place.container, place.object, object_headers(storage_, content_type_, target_.gzip),
                           read_body, -1);
        unpublished_->stored(place.container, place.object);
        if (const ObjectNotes* notes = body.notes(); notes != nullptr) {
            summary_ = notes->summary;
        }
    }

    PutOutcome commit(std::uint64_t size, const std::string& sha256) override {
        const bool identical = row_ && row_->sha256 == sha256 && (row_->content_encoding == "gzip") == target_.gzip;
        if (row_ && !identical && !upload_.claims.overwrite) {
            refuse_other_content(target_.path);
        }
        ArtifactRecord record =
            record_for(upload_, storage_, target_.path, container_, size, sha256, etag_, content_type_, target_.gzip);
        record.summary = summary_;
        publish(
            ledger_, claims_, upload_.claims.jti,
            [&](MySqlLedgerEntry& entry) {
                if (auto refusal = check_quota(upload_.claims, entry.usage(), 0, 0)) {
                    throw Refused{*refusal};  // sealed while the body arrived
                }
                claims_.settle(entry, identical ? 0 : size, new_files_);
                catalogue_.record(entry.connection(), record);
                if (!identical) {
                    insert_outbox(entry.connection(), upload_.events);  // the file's events, with it
                }
            },
            [&](MySqlConnection& connection) { return row_is(connection, record); });
        unpublished_->published();
        upload_.events_committed = !identical;
        if (row_) {
            delete_replaced(swift_, upload_.r, *row_);
        }
        if (identical && existing_) {
            return PutOutcome::Identical;
        }
        return row_ && !identical ? PutOutcome::Replaced : PutOutcome::Created;
    }

private:
    UploadRequest& upload_;
    const StorageConfig& storage_;
    std::optional<LogSummary> summary_;  // the processors' note, once the body ended
    Catalogue& catalogue_;
    SwiftClient& swift_;
    PutTarget target_;
    MySqlLedger ledger_;
    UploadClaims claims_;
    std::optional<ArtifactRecord> row_;
    std::optional<StoredFile> existing_;
    std::uint64_t new_files_ = 0;
    std::string container_;
    std::string content_type_;
    std::string etag_;
    std::optional<UnpublishedObject> unpublished_;  // destroyed first: deletes an object never published
};

// The token's row stays locked from the start to the seal: an upload of this token that
// finishes meanwhile waits, then finds the token sealed (410) instead of missing from the
// manifest. The manifest (small: a line per file) is sent to Swift whole at the commit.
class SwiftSeal final : public SealTransaction {
public:
    SwiftSeal(UploadRequest& upload, const StorageConfig& storage, const std::string& scope)
        : upload_(upload),
          storage_(storage),
          catalogue_(*storage.catalogue),
          now_(apr_time_sec(upload.r->request_time)),
          scope_(scope),
          manifest_path_(scope + std::string(kManifestName)),
          ledger_(catalogue_.pool(), token_facts(upload.claims)),
          claims_(catalogue_, upload, ledger_) {
        // Claimed before the token's row is locked: taking over a claim a failed seal left
        // locks that row too.
        claims_.claim(manifest_path_);
        entry_ = ledger_.open_entry(upload.claims.jti);
        if (auto refusal = check_quota(upload.claims, entry_->usage(), 0, 0)) {
            throw Refused{*refusal};
        }
    }

    void describe(ManifestWriter& manifest) override {
        std::vector<ManifestFile> files;
        catalogue_call([&] {
            catalogue_.for_each_below(scope_, now_, [&](const ArtifactRecord& record) {
                if (record.path == manifest_path_) {
                    return;
                }
                std::string name = record.path.substr(scope_.size());
                if (record.is_directory) {
                    // "a/": listed even when nothing is in it, as Zuul's generator does
                } else if (record.content_encoding == "gzip") {
                    name += ".gz";  // as the filesystem store names a compressed upload
                }
                files.push_back(ManifestFile{std::move(name), record.size, record.mtime, record.summary});
            });
            return 0;
        });
        write_manifest_from_files(std::move(files), manifest);
    }

    Sink& manifest() override { return text_; }
    LedgerUsage usage() const override { return entry_->usage(); }

    void commit(std::uint64_t size, const std::string& sha256, std::int64_t now) override {
        request_rec* r = upload_.r;
        SwiftClient& swift = *storage_.swift;
        const std::string& body = text_.str();
        const std::optional<ArtifactRecord> existing = existing_file(catalogue_, manifest_path_, now_);
        const ObjectPlace place = place_for(storage_, manifest_path_, existing ? &*existing : nullptr);
        UnpublishedObject unpublished(swift, r, claims_);
        std::size_t offset = 0;
        const std::string etag = swift.put(
            place.container, place.object, object_headers(storage_, "application/json", false),
            [&](char* buffer, std::size_t capacity) {
                const std::size_t n = std::min(capacity, body.size() - offset);
                std::memcpy(buffer, body.data() + offset, n);
                offset += n;
                return n;
            },
            static_cast<std::int64_t>(size));
        unpublished.stored(place.container, place.object);
        const ArtifactRecord record = record_for(upload_, storage_, manifest_path_, place.container, size, sha256, etag,
                                                 "application/json", false);
        catalogue_call([&] {
            claims_.settle(*entry_, 0, 0);
            catalogue_.record(entry_->connection(), record);
            // The seal's events, committed with it.
            insert_outbox(entry_->connection(), upload_.events);
            return 0;
        });
        upload_.events_committed = true;
        entry_->seal(now);
        commit_publication(ledger_, *entry_, claims_,
                           [&](MySqlConnection& connection) { return row_is(connection, record); });
        unpublished.published();
        if (existing) {
            delete_replaced(swift, r, *existing);
        }
    }

private:
    UploadRequest& upload_;
    const StorageConfig& storage_;
    Catalogue& catalogue_;
    std::int64_t now_;
    std::string scope_;
    std::string manifest_path_;
    MySqlLedger ledger_;
    UploadClaims claims_;
    std::unique_ptr<MySqlLedgerEntry> entry_;
    StringSink text_;
};

class SwiftStore final : public Store {
public:
    SwiftStore(UploadRequest& upload, const StorageConfig& storage, const char* state_dir)
        : upload_(upload), storage_(storage), state_dir_(state_dir) {}

    std::unique_ptr<PutTransaction> begin_put(const PutTarget& target) override {
        return std::make_unique<SwiftPut>(upload_, storage_, target);
    }

    bool make_directory(const std::string& directory) override;

    std::unique_ptr<SealTransaction> begin_seal(const std::string& scope) override {
        return std::make_unique<SwiftSeal>(upload_, storage_, scope);
    }

    std::unique_ptr<ArchiveTransaction> begin_archive(const std::string& directory) override {
        return swift_archive(upload_, storage_, state_dir_, directory);
    }

private:
    UploadRequest& upload_;
    const StorageConfig& storage_;
    const char* state_dir_;
};

bool SwiftStore::make_directory(const std::string& directory) {
    const std::string path = directory.substr(0, directory.size() - 1);  // the name a file there would have
    Catalogue& catalogue = *storage_.catalogue;
    const std::int64_t now = apr_time_sec(upload_.r->request_time);
    MySqlLedger ledger(catalogue.pool(), token_facts(upload_.claims));
    UploadClaims claims(catalogue, upload_, ledger);
    claims.claim(path);
    const std::optional<ArtifactRecord> existing = stored_row(catalogue, path, now);
    if (existing && !existing->is_directory) {
        refuse(HTTP_CONFLICT, "not_a_directory", "'" + path + "' is a file, not a directory");
    }
    check_ledger_early(upload_.ledger, upload_.claims, 0);
    if (existing) {
        return false;
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
        ledger, claims, upload_.claims.jti,
        [&](MySqlLedgerEntry& entry) {
            if (auto refusal = check_quota(upload_.claims, entry.usage(), 0, 0)) {
                throw Refused{*refusal};  // sealed meanwhile
            }
            made = catalogue.record_directory(entry.connection(), directory, now);
            claims.settle(entry, 0, made ? 1 : 0);
        },
        directory_row);
    return made;
}

}  // namespace

std::unique_ptr<Store> swift_store(UploadRequest& upload, const StorageConfig& storage, const char* state_dir) {
    return std::make_unique<SwiftStore>(upload, storage, state_dir);
}

}  // namespace artifacts::httpd
