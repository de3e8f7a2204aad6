// What every upload shares, whichever store takes it: the verified token, the path, the
// ledger that holds its quotas, and the checks made before a body byte is read.
#pragma once

#include <httpd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "../backends/fs_outbox.h"
#include "../core/events/event.h"
#include "../core/metrics/metrics.h"
#include "../core/store/ledger.h"
#include "../core/store/store.h"
#include "../core/policy/refusal.h"
#include "../core/token/token.h"
#include "../core/policy/upload_policy.h"
#include "module.h"

namespace artifacts::httpd {

struct UploadRequest {
    request_rec* r;
    const DirConfig* conf;
    TokenClaims claims;
    std::string relative;                                         // below the root, as the client named it
    Ledger& ledger;                                               // under ArtifactsStateDir, or in the catalogue
    metrics::StoreLabel store = metrics::StoreLabel::Filesystem;  // where it is counted
    // ArtifactsNotify: the records of this request's events, made just before the commit;
    // a store that keeps them in the commit's own transaction (the catalogue) says so.
    std::vector<OutboxRecord> events{};
    bool events_committed = false;
    // Or they are pending in the outbox under ArtifactsStateDir on the commit's mark, and
    // settled after it (whatever becomes of the request: the destructor settles them too).
    PendingEvents pending_events{};
};

// The token of the request, verified (401/403 otherwise).
TokenClaims authorise(request_rec* r, const DirConfig* conf);

// What the ledger keeps of the token for artifacts-prune.
inline TokenFacts token_facts(const TokenClaims& claims) {
    return TokenFacts{claims.jti, claims.scope, claims.exp};
}

std::string url_for(const UploadRequest& upload, std::string_view relative);

// The signed records of `event` (its kind, url and what it counts set), one for every
// receiver that wants it, added to upload.events (notify.cc). With the store's mark of the
// commit, and no catalogue to commit them with, they are kept pending in the outbox under
// ArtifactsStateDir now: refused (503) when they cannot be, so that the commit does not
// happen.
void prepare_events(UploadRequest& upload, Event event, const std::optional<CommitMark>& mark);
// After the commit: the pending records are settled (events now), and those of a store
// that gave no mark go to the outbox, durably, before the request is answered.
void keep_events(UploadRequest& upload);

// The audit line of every stored file (ARTF0201).
void audit(const UploadRequest& upload, const char* what, std::string_view relative, std::uint64_t size,
           const std::string& sha256);

std::uint64_t max_file_size(const UploadRequest& upload);

// The declared body length, refused early when it is already too much.
std::optional<std::uint64_t> declared_length(const UploadRequest& upload);

// The target of a PUT: a file name (400), in the token's scope and kinds (403).
SplitPath check_put_target(const UploadRequest& upload);

// A PUT of a path ending with '/' makes that directory (an empty one is part of a build's
// tree: Zuul's manifest lists it). It must lie in the scope (403) and have no body (400; an
// empty body is read). Returns the directory's path, with its '/'.
bool is_directory_put(const UploadRequest& upload);
std::string check_directory_put(UploadRequest& upload);
// The answer to ?extract, whichever store took it: each member audited (ARTF0201) and
// listed, {"path":"dir/","files":[{"path","size","sha256","url"},...]}; 201 when anything
// is new (or the archive was empty), 200 when every member was there already.
int reply_archive(UploadRequest& upload, const std::string& directory, const std::vector<StoredMember>& members);

// {"path":"a/b/","type":"directory","url":...}; 201 with Location when it was made, 200 when
// it was there already.
int reply_directory(UploadRequest& upload, bool created);

// The checks of a POST ?extract before its body: a directory path in the scope (400, 403),
// a tar or tar.gz body (415), its declared length and the token's ledger (413, 410).
// Returns the usage seen.
LedgerUsage check_archive_request(UploadRequest& upload);

// An archive's members counted against the token's quotas as the archive is read, so that
// a token without room is refused at the member that passes them, not after everything was
// staged. A member stored already may be a retry, charged nothing: it is not counted here
// (the check under the ledger lock before publishing decides).
class ArchiveQuota {
public:
    ArchiveQuota(const TokenClaims& claims, const LedgerUsage& usage) : claims_(claims), usage_(usage) {}
    // `stored` is asked only when the token has a quota.
    template <typename Stored>
    std::optional<Refusal> add(std::uint64_t size, Stored stored) {
        if ((claims_.max_bytes || claims_.max_files) && !stored()) {
            bytes_ += size;
            ++files_;
        }
        return check_quota(claims_, usage_, bytes_, files_);
    }

private:
    const TokenClaims& claims_;
    LedgerUsage usage_;
    std::uint64_t bytes_ = 0;
    std::uint64_t files_ = 0;
};

// Content-Encoding of a PUT: true for gzip, false for none; 415 for anything else.
bool gzip_body(request_rec* r);

// PUT a file, or PUT dir/ to make a directory, into `store`: the request's checks, the
// upload pipeline (core/upload/put_pipeline.h), the audit line and the answer.
int put_file(UploadRequest& upload, Store& store);
int make_directory(UploadRequest& upload, Store& store);
// POST dir/?extract: a tar or tar.gz body unpacked below dir/, every member or none.
int extract_archive(UploadRequest& upload, Store& store);
// POST scope/?seal: the token's scope itself (403 otherwise), its body read and dropped;
// the manifest is written and the token sealed (core/upload/put_pipeline.h).
int seal_scope(UploadRequest& upload, Store& store);

// Uploads to Swift with the catalogue (swift_upload.cc). `state_dir` holds the staging
// area of archives, which are checked whole before any member is sent.
std::unique_ptr<Store> swift_store(UploadRequest& upload, const StorageConfig& storage, const char* state_dir);

}  // namespace artifacts::httpd
