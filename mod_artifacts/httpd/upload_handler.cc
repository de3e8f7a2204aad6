// The upload API on the filesystem store: PUT one file, POST ?extract a tar,
// POST ?seal to write zuul-manifest.json and burn the token. Every refusal is a JSON
// body with the right status and an info line in the error log; nothing partial is ever
// visible and nothing refused is charged to the token.
#include <apr_strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "../backends/fs_ledger.h"
#include "../backends/fs_manifest.h"
#include "../backends/fs_store.h"
#include "../backends/pending_journal.h"
#include "../backends/tar_stager.h"
#include "../core/codec/escape.h"
#include "../core/codec/gunzip.h"
#include "../core/http/negotiation.h"
#include "../core/policy/upload_policy.h"
#include "../backends/catalogue.h"
#include "../backends/mysql_ledger.h"
#include "../backends/swift_client.h"
#include "body_reader.h"
#include "module.h"
#include "upload_reply.h"
#include "upload_request.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// An upload to the filesystem store.
struct Upload : UploadRequest {
    FsStore store;
};

void append_file_json(std::string& out, const Upload& upload, std::string_view relative, const StagedFile& file) {
    append_stored_file_json(out, relative, file.size, file.sha256, url_for(upload, relative));
}

// Bodies up to this size are read before the ledger is first consulted.
constexpr std::uint64_t kSmallBody = 64 * 1024;

struct Published {
    std::vector<Existing> before;  // per file: Absent (new), Identical, Different (replaced)
};

// Under the token's ledger lock: conflicts, quota, then publish every file or none. An
// archive's members (`batch`) were written without an fsync each: they are made durable
// with one sync_all() before they are published, and their directories with one after.
Published publish_all(Upload& upload, std::vector<StagedFile>& files, bool batch) {
    const auto entry = upload.ledger.open(upload.claims.jti);
    const LedgerUsage usage = entry->usage();
    Published result;
    std::uint64_t bytes = 0;
    std::uint64_t new_files = 0;
    for (StagedFile& file : files) {
        const Existing existing = inspect_target(upload.store, file);
        if (existing == Existing::Different && !upload.claims.overwrite) {
            refuse_other_content(file.directory + file.name);
        }
        bytes += existing == Existing::Identical ? 0 : file.size;
        new_files += existing == Existing::Absent ? 1 : 0;
    }
    if (auto refusal = check_quota(upload.claims, usage, bytes, new_files)) {
        throw Refused{*refusal};
    }
    bytes = 0;
    new_files = 0;
    // Takes back what this request published when it cannot publish and charge everything.
    const auto unpublish = [&] {
        for (std::size_t j = 0; j < result.before.size(); ++j) {
            if (result.before[j] == Existing::Absent) {
                remove_file(upload.store, files[j].directory, files[j].name);
            }
        }
    };
    try {
        if (batch) {
            sync_all(upload.store);
        }
        for (StagedFile& file : files) {
            const Existing existing = publish(upload.store, file, upload.claims.overwrite, !batch);
            if (existing == Existing::OtherEncoding) {
                refuse(HTTP_CONFLICT, "exists",
                       "'" + file.directory + file.other_encoding +
                           "' was stored meanwhile: it holds this file in "
                           "the other encoding (the token has no overwrite)");
            }
            if (existing == Existing::Different && !upload.claims.overwrite) {
                refuse(HTTP_CONFLICT, "exists",
                       "'" + file.directory + file.name + "' was stored meanwhile with other content");
            }
            result.before.push_back(existing);
            bytes += existing == Existing::Identical ? 0 : file.size;
            new_files += existing == Existing::Absent ? 1 : 0;
        }
        if (batch) {
            sync_all(upload.store);
        }
        entry->charge(bytes, new_files);
        entry->commit();
    } catch (...) {
        unpublish();
        throw;
    }
    return result;
}

// Removes the directories an upload created when it stores nothing after all.
class CreatedDirectories {
public:
    explicit CreatedDirectories(const FsStore& store) : store_(store) {}
    ~CreatedDirectories() {
        if (!kept_) {
            store_.remove_empty_directories(paths);
        }
    }
    void keep() { kept_ = true; }
    std::vector<std::string> paths;

private:
    const FsStore& store_;
    bool kept_ = false;
};

int put_file(Upload& upload) {
    request_rec* r = upload.r;
    const SplitPath target = check_put_target(upload);
    const bool gzip = gzip_body(r);
    // A gzip upload is stored as name.gz and served as name, like a legacy compressed log.
    const std::string stored_name = gzip ? target.name + ".gz" : target.name;
    const std::string other_name = gzip ? target.name : target.name + ".gz";
    if (stored_name.size() > kMaxNameBytes) {
        refuse(HTTP_BAD_REQUEST, "bad_path",
               "the name is too long to be stored compressed as '" + target.name + ".gz' (255 bytes at most)");
    }
    BodyChecks checks(upload, gzip);
    const auto length = declared_length(upload);
    // The directory when it exists already: the name checks look there, the body goes there.
    UniqueFd existing_directory = upload.store.open_existing_directory(target.directory);
    const bool replacing = existing_directory && has_entry(existing_directory.get(), stored_name);
    // A small declared body costs less to read than the early look at the ledger.
    const bool worth_checking_early = !length || *length > kSmallBody;
    const LedgerUsage usage =
        worth_checking_early ? check_ledger_early(upload, replacing ? 0 : length.value_or(0)) : LedgerUsage{};
    if (!upload.claims.overwrite && existing_directory && has_entry(existing_directory.get(), other_name)) {
        refuse(HTTP_CONFLICT, "exists",
               "'" + target.directory + other_name + "' already holds this file in the other encoding");
    }

    CreatedDirectories created(upload.store);
    auto directory = std::make_shared<const UniqueFd>(
        existing_directory ? std::move(existing_directory)
                           : upload.store.open_directory(target.directory, &created.paths));
    FileWriter writer(upload.store, std::move(directory), target.directory, stored_name);
    BodyReader body(r);
    for (std::string_view piece = body.next(); !piece.empty(); piece = body.next()) {
        checks.take(piece);
        // A retry of a stored file may be charged nothing: the check under the ledger lock decides.
        if (!replacing && upload.claims.max_bytes &&
            usage.bytes + writer.size() + piece.size() > *upload.claims.max_bytes) {
            throw Refused{*check_quota(upload.claims, usage, writer.size() + piece.size(), 0)};
        }
        writer.write(piece);
    }
    mark_body_read(r);
    StagedFile staged = writer.finish();
    try {
        checks.finish(staged.sha256);
    } catch (...) {
        discard(upload.store, staged);
        throw;
    }
    staged.other_encoding = other_name;
    std::vector<StagedFile> files{std::move(staged)};
    Published published;
    try {
        published = publish_all(upload, files, false);
    } catch (...) {
        discard(upload.store, files[0]);
        throw;
    }
    created.keep();
    remove_replaced_other(upload.store, files[0]);
    const bool identical = published.before[0] == Existing::Identical;
    audit(upload, identical ? "already stored" : "stored", target.directory + stored_name, files[0].size,
          files[0].sha256);
    std::string reply;
    append_file_json(reply, upload, upload.relative, files[0]);
    reply += "\n";
    if (!identical) {
        apr_table_setn(r->headers_out, "Location", apr_pstrdup(r->pool, url_for(upload, upload.relative).c_str()));
    }
    return send_json(r, identical ? HTTP_OK : HTTP_CREATED, reply);
}

// PUT dir/ (no body): the directory, empty if nothing is stored in it later. A new one is
// counted as a file of max_files (a token that bounds its files bounds its directories).
int make_directory(Upload& upload) {
    const std::string directory = check_directory_put(upload);
    const auto entry = upload.ledger.open(upload.claims.jti);
    const bool exists = static_cast<bool>(upload.store.open_existing_directory(directory));
    if (auto refusal = check_quota(upload.claims, entry->usage(), 0, exists ? 0 : 1)) {
        throw Refused{*refusal};
    }
    if (exists) {
        return reply_directory(upload, false);
    }
    CreatedDirectories created(upload.store);
    upload.store.open_directory(directory, &created.paths);
    upload.store.sync_created(created.paths);
    entry->charge(0, 1);
    entry->commit();
    created.keep();
    audit(upload, "made directory", directory, 0, "-");
    return reply_directory(upload, true);
}

int extract_archive(Upload& upload) {
    request_rec* r = upload.r;
    const std::string& directory = upload.relative;
    const LedgerUsage usage = check_archive_request(upload);
    ArchiveQuota quota(upload.claims, usage);
    const MemberCheck check = [&](std::string_view path, std::uint64_t size) -> std::optional<Refusal> {
        if (auto refusal = check_file_target(upload.claims, *upload.conf->kinds, path)) {
            return refusal;
        }
        return quota.add(size, [&] {
            const SplitPath member = split_path(path);
            const UniqueFd parent = upload.store.open_existing_directory(member.directory);
            return parent && has_entry(parent.get(), member.name);
        });
    };
    BodyReader body(r);
    StagedArchive archive = stage_archive(
        upload.store, directory, [&body] { return body.next(); }, check, max_file_size(upload), kMaxArchiveMembers);
    CreatedDirectories created(upload.store);
    created.paths = std::move(archive.created_directories);
    if (archive.refusal) {
        throw Refused{*archive.refusal};
    }
    body.drain();
    mark_body_read(r);
    Published published;
    try {
        published = publish_all(upload, archive.files, true);
    } catch (...) {
        for (StagedFile& file : archive.files) {
            discard(upload.store, file);
        }
        throw;
    }
    created.keep();
    std::vector<StoredMember> stored;
    stored.reserve(archive.files.size());
    for (std::size_t i = 0; i < archive.files.size(); ++i) {
        const StagedFile& file = archive.files[i];
        stored.push_back(
            {file.directory + file.name, file.size, file.sha256, published.before[i] == Existing::Identical});
    }
    return reply_archive(upload, directory, stored);
}

// Buffers the manifest's small writes into 64 KiB blocks for the file.
class WriterSink final : public Sink {
public:
    explicit WriterSink(FileWriter& writer) : writer_(writer) {}
    void write(std::string_view bytes) override {
        buffer_.append(bytes);
        if (buffer_.size() >= 64 * 1024) {
            flush();
        }
    }
    void flush() {
        writer_.write(buffer_);
        buffer_.clear();
    }

private:
    FileWriter& writer_;
    std::string buffer_;
};

int seal_scope(Upload& upload) {
    request_rec* r = upload.r;
    check_seal_request(upload);
    const auto entry = upload.ledger.open(upload.claims.jti);
    if (auto refusal = check_quota(upload.claims, entry->usage(), 0, 0)) {
        throw Refused{*refusal};
    }
    CreatedDirectories created(upload.store);
    auto directory = std::make_shared<const UniqueFd>(upload.store.open_directory(upload.relative, &created.paths));
    if (struct stat info;
        fstatat(directory->get(), std::string(kManifestName).c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISREG(info.st_mode)) {
        refuse(HTTP_CONFLICT, "exists",
               "'" + upload.relative + std::string(kManifestName) +
                   "' is not a file (a directory was uploaded under that name), so the manifest cannot be written; "
                   "the token is not sealed");
    }
    FileWriter writer(upload.store, std::move(directory), upload.relative, std::string(kManifestName));
    WriterSink sink(writer);
    ManifestWriter manifest(sink);
    write_manifest(upload.store, upload.relative, manifest);
    sink.flush();
    StagedFile staged = writer.finish();
    publish(upload.store, staged, true);
    created.keep();
    entry->seal(apr_time_sec(r->request_time));
    entry->commit();
    const std::string relative = upload.relative + std::string(kManifestName);
    audit(upload, "sealed with", relative, staged.size, staged.sha256);
    std::string reply;
    append_file_json(reply, upload, relative, staged);
    reply.insert(reply.size() - 1, ",\"sealed\":true");
    reply += "\n";
    return send_json(r, HTTP_OK, reply);
}

int run_upload(request_rec* r, const DirConfig* conf, const ServerConfig* server) {
    if (conf->keys == nullptr || conf->kinds == nullptr || server->state_dir == nullptr) {
        refuse(HTTP_METHOD_NOT_ALLOWED, "uploads_disabled",
               "uploads are not enabled here (ArtifactsTokenKey and ArtifactsKind configure them)");
    }
    TokenClaims claims = authorise(r, conf);
    const RequestState* state = request_state(r);
    if (state == nullptr || state->upload_path_problem != PathProblem::None) {
        refuse(HTTP_BAD_REQUEST, "bad_path",
               std::string(describe(state != nullptr ? state->upload_path_problem : PathProblem::InvalidUtf8)));
    }
    // With a catalogue, quotas and seals are kept there, for every server that shares it.
    const StorageConfig& storage = server->storage;
    std::optional<FsLedger> fs_ledger;
    std::optional<MySqlLedger> shared_ledger;
    Ledger& ledger =
        storage.catalogue != nullptr
            ? static_cast<Ledger&>(shared_ledger.emplace(storage.catalogue->pool()))
            : static_cast<Ledger&>(fs_ledger.emplace(std::string(server->state_dir) + "/" + kLedgerDirectory));
    const PendingJournal journal(std::string(server->state_dir) + "/" + kPendingDirectory);
    Upload upload{{r, conf, std::move(claims), state->relative_path, ledger},
                  FsStore(artifact_root(r, conf), &journal, conf->sync != 0)};
    const std::string_view query = r->args != nullptr ? r->args : "";
    if (storage.store == StoreKind::Swift) {
        if (is_directory_put(upload)) {
            return make_directory_in_swift(upload, storage);
        }
        if (r->method_number == M_PUT) {
            return put_to_swift(upload, storage);
        }
        if (query_parameter(query, "seal")) {
            return seal_in_swift(upload, storage);
        }
        if (query_parameter(query, "extract")) {
            return extract_to_swift(upload, storage, server->state_dir);
        }
    }
    if (is_directory_put(upload)) {
        return make_directory(upload);
    }
    if (r->method_number == M_PUT) {
        return put_file(upload);
    }
    if (query_parameter(query, "extract")) {
        return extract_archive(upload);
    }
    if (query_parameter(query, "seal")) {
        return seal_scope(upload);
    }
    refuse(HTTP_BAD_REQUEST, "unknown_operation", "POST takes ?extract (a tar body) or ?seal");
}

}  // namespace

int handle_upload(request_rec* r) {
    if (r->handler == nullptr || strcmp(r->handler, kUploadHandler) != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_PUT) | (AP_METHOD_BIT << M_POST);
    const DirConfig* conf = dir_config(r);
    try {
        return run_upload(r, conf, server_config(r->server));
    } catch (const Refused& refused) {
        return send_refusal(r, refused.refusal);
    } catch (const StoreError& error) {
        if (error.kind() == StoreError::Kind::Io || error.kind() == StoreError::Kind::NoSpace) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(error.error_number()), r,
                          ARTF_LOGNO(0214) "artifact store failure: %s", error.what());
        }
        return send_refusal(r, store_refusal(error));
    } catch (const HttpUnavailable& error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0215) "Swift unavailable for an upload: %s",
                      error.what());
        return send_refusal(r, {HTTP_SERVICE_UNAVAILABLE, "unavailable",
                                "the object store is unavailable; nothing was stored, try again later"});
    } catch (const SwiftError& error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0216) "Swift refused an upload: %s", error.what());
        return send_json(r, HTTP_BAD_GATEWAY,
                         refusal_json({HTTP_BAD_GATEWAY, "store_failed",
                                       "the object store did not take the file; nothing was stored"}));
    } catch (const LedgerUnavailable& error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0213) "token ledger unavailable: %s", error.what());
        return send_refusal(r, {HTTP_SERVICE_UNAVAILABLE, "unavailable",
                                "the token ledger is unavailable; nothing was stored, try again later"});
    } catch (const BodyError& error) {
        if (error.status() == AP_FILTER_ERROR) {
            return AP_FILTER_ERROR;  // an input filter has answered already
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, error.cause(), r,
                      ARTF_LOGNO(0211) "upload of %s abandoned: the body could not be read; nothing was stored",
                      r->uri);
        return error.status();
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0212) "upload to %s failed: %s", r->uri, e.what());
        return send_json(
            r, HTTP_INTERNAL_SERVER_ERROR,
            refusal_json({HTTP_INTERNAL_SERVER_ERROR, "internal", "the upload failed; nothing was stored"}));
    }
}

}  // namespace artifacts::httpd
