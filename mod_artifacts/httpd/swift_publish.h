// The steps every upload into Swift takes to publish (swift_upload.cc, swift_extract.cc):
// one upload of a path at a time across servers, quota reserved in the ledger ahead of
// the bytes, objects deleted again unless a committed row may name them, and the row, the
// charge and the end of the claims written in one transaction whose outcome is learnt
// even when the answer to its COMMIT is lost.
#pragma once

#include <httpd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "../backends/catalogue.h"
#include "../backends/http_exchange.h"
#include "../backends/mysql_ledger.h"
#include "../backends/swift_client.h"
#include "upload_request.h"

namespace artifacts::httpd {

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

// An upload's claims on the paths it writes (uploads_in_progress), one upload of a path at
// a time across every server, with the quota it reserved ahead of the bytes.
//
// A claim names its owner (this upload) and holds a lease in the database's clock, which
// keep_alive() renews while the upload works; once the lease has run out, another upload
// may take the claim over, giving back what it had reserved. So a claim whose owner died or
// lost the database blocks its path for seconds, and one whose owner still works is never
// taken. An owner that could not renew in time stops touching Swift before its lease ends.
//
// The reservation lives on the first claim, changed in the same transaction as the
// token's ledger row, and leaves with the claims: the publishing transaction settles it
// into the charge and deletes the claims; a failed upload gives back what its claims say
// it reserved (not what it believes), so the token's usage is always its stored files plus
// the reservations of live claims.
class UploadClaims {
public:
    UploadClaims(Catalogue& catalogue, UploadRequest& upload, MySqlLedger& ledger);
    // Unless published: gives back the reservation and drops the claims, in one
    // transaction. When the database cannot be asked, the claims stay until their lease
    // runs out, and whoever takes them over gives the reservation back.
    ~UploadClaims();
    UploadClaims(const UploadClaims&) = delete;
    UploadClaims& operator=(const UploadClaims&) = delete;

    // Claims `path`, taking over a claim whose lease has run out. Throws Refused (503
    // upload_in_progress) while another upload holds it.
    void claim(const std::string& path);
    // True when a claim was taken over from an upload that did not finish: what it may
    // have left in Swift at this upload's place is removed before it is used.
    bool took_over() const { return took_over_; }
    // Renews the lease when it is due. Throws Refused (503) when the claims were lost or
    // the lease could not be renewed before it ran out.
    void keep_alive();
    // Reserves quota so that `bytes` (and `files` new files) are covered: exactly, or in
    // growing steps for a body whose length is not known. Throws Refused (413, 410, 503).
    void reserve(std::uint64_t bytes, std::uint64_t files, bool exact);
    // In the publishing transaction: the reservation becomes the charge of what was stored,
    // and the claims end. Throws Refused (503) when they were taken over meanwhile.
    void settle(MySqlLedgerEntry& entry, std::uint64_t bytes, std::uint64_t files);
    // Whether the committed transaction that ended these claims is visible (for a lost COMMIT).
    bool ended(MySqlConnection& connection);
    void published() { state_ = State::Published; }
    void outcome_unknown() { state_ = State::Unknown; }
    // Objects this upload wrote may be deleted when it fails: not when a committed row may
    // name them (the outcome is unknown) or another upload may be writing there now.
    bool may_delete_objects() const;
    request_rec* request() const { return upload_.r; }

private:
    enum class State { Open, Published, Unknown, Lost };
    void take_over(const std::string& path, const std::string& stale_owner, const std::string& stale_jti);
    void renewed(std::chrono::steady_clock::time_point sent);
    [[noreturn]] void lose(const std::string& why);
    void release() noexcept;

    Catalogue& catalogue_;
    UploadRequest& upload_;
    MySqlLedger& ledger_;
    std::string owner_;
    std::unordered_set<std::string> paths_;  // claimed
    std::string first_path_;                 // the claim the reservation lives on
    bool attempted_ = false;                 // a claim may exist in the database
    bool took_over_ = false;
    bool limited_;
    std::uint64_t reserved_bytes_ = 0;
    std::uint64_t reserved_files_ = 0;
    State state_ = State::Open;
    std::chrono::steady_clock::time_point lease_end_{};
    std::chrono::steady_clock::time_point next_renewal_{};
};

// Commits the transaction that ended the claims (UploadClaims::settle). When the answer to
// COMMIT is lost, finds out whether it applied before answering: the claims are gone and
// `committed(connection)` finds the rows it wrote. Returns when it applied; throws
// LedgerUnavailable when it did not, Refused (503, every object a row may name kept) when
// that cannot be learnt in time.
void commit_publication(MySqlLedger& ledger, MySqlLedgerEntry& entry, UploadClaims& claims,
                        const std::function<bool(MySqlConnection&)>& committed);

// Runs `work` in the token's ledger transaction, ends the claims in it and commits
// (commit_publication), again when InnoDB chose it as a deadlock victim (rows of a shared
// parent directory are inserted concurrently).
template <typename Work, typename Probe>
void publish(MySqlLedger& ledger, UploadClaims& claims, const std::string& jti, Work&& work, Probe&& committed) {
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        try {
            const auto entry = ledger.open_entry(jti);
            catalogue_call([&] {
                work(*entry);
                return 0;
            });
            commit_publication(ledger, *entry, claims, committed);
            return;
        } catch (const LedgerBusy&) {
            if (attempt == kAttempts) {
                throw;
            }
        }
    }
}

// Whether `record`'s row is in the catalogue as written (a lost COMMIT's probe).
bool row_is(MySqlConnection& connection, const ArtifactRecord& record);

// Deletes an object whose upload could not be completed, unless it was published or the
// claims say it may not be deleted (see UploadClaims::may_delete_objects).
class UnpublishedObject {
public:
    UnpublishedObject(SwiftClient& swift, request_rec* r, const UploadClaims& claims)
        : swift_(swift), r_(r), claims_(&claims) {}
    ~UnpublishedObject();
    UnpublishedObject(UnpublishedObject&&) = default;
    void stored(std::string container, std::string object);
    void published() { container_.clear(); }

private:
    SwiftClient& swift_;
    request_rec* r_;
    const UploadClaims* claims_;
    std::string container_;
    std::string object_;
};

// Whether Swift still holds the object `record` names (an identical upload is confirmed
// only for bytes that can be read). Throws HttpUnavailable.
bool object_exists(SwiftClient& swift, const ArtifactRecord& record);
// Deletes what an upload that did not finish may have left at `place`; a missing object is fine.
void remove_leftover(SwiftClient& swift, request_rec* r, const std::string& container, const std::string& object);

// The row of the file stored under `path`, not counting a row of `path` without ".gz"
// stored compressed (and a directory's row too), or nothing.
std::optional<ArtifactRecord> stored_row(Catalogue& catalogue, const std::string& path, std::int64_t now);
// The same, refusing (409 exists) when `path` is a directory.
std::optional<ArtifactRecord> existing_file(Catalogue& catalogue, const std::string& path, std::int64_t now);

// The container of `path` (sharded when ArtifactsSwiftContainerShards says so).
std::string container_for(const StorageConfig& storage, std::string_view path);

// Where an upload to `path` stores its bytes: the object named `path`, in the path's
// container, or in that container's twin when `replaced` (the row an overwrite replaces)
// names the object there. An overwrite never writes over the object its row still names,
// so until the new row is committed readers get the old file whole, and an overwrite that
// fails leaves it as it was.
struct ObjectPlace {
    std::string container;
    std::string object;
};
ObjectPlace place_for(const StorageConfig& storage, const std::string& path, const ArtifactRecord* replaced);

// Deletes the object a committed overwrite has replaced; a failure is only logged (the
// object is no longer any row's).
void delete_replaced(SwiftClient& swift, request_rec* r, const ArtifactRecord& replaced);

// Content-Type, Content-Encoding and X-Delete-After (ArtifactsRetention) of a new object.
HttpHeaders object_headers(const StorageConfig& storage, std::string_view content_type, bool gzip);

// The catalogue row of an object stored at `path` for `upload`'s token.
ArtifactRecord record_for(const UploadRequest& upload, const StorageConfig& storage, std::string path,
                          std::string container, std::uint64_t size, std::string sha256, std::string etag,
                          std::string_view content_type, bool gzip);

// ?extract into Swift (swift_extract.cc): the members staged below `state_dir`, sent and
// recorded at the commit.
std::unique_ptr<ArchiveTransaction> swift_archive(UploadRequest& upload, const StorageConfig& storage,
                                                  const char* state_dir, const std::string& directory);

}  // namespace artifacts::httpd
