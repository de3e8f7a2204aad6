// The steps every upload into Swift takes to publish (swift_upload.cc, swift_extract.cc):
// one upload of a path at a time across servers, quota reserved in the ledger ahead of
// the bytes, objects deleted again unless their row was committed, and the row and the
// charge written in one transaction.
#pragma once

#include <httpd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

// Runs `work` in the token's ledger transaction and commits, again when InnoDB chose it
// as a deadlock victim (rows of a shared parent directory are inserted concurrently).
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

// One upload of a path at a time, across every server: a second one is answered 503 with
// Retry-After (clients retry it) instead of racing the first inside Swift. A claim left by
// a process that died expires after an hour.
class PathClaim {
public:
    PathClaim(Catalogue& catalogue, std::string path, std::string jti, std::int64_t now);
    ~PathClaim();
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
    QuotaReservation(UploadRequest& upload, MySqlLedger& ledger, std::uint64_t files);
    ~QuotaReservation();
    QuotaReservation(const QuotaReservation&) = delete;
    QuotaReservation& operator=(const QuotaReservation&) = delete;

    // Reserves so that `bytes` (and the files) are covered: exactly, or in growing steps
    // for a body whose length is not known. Throws Refused (413, 410).
    void cover(std::uint64_t bytes, bool exact);
    // In the publishing transaction: the charge becomes what was stored.
    void settle(LedgerEntry& entry, std::uint64_t bytes, std::uint64_t files);
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
    ~UnpublishedObject();
    UnpublishedObject(UnpublishedObject&&) = default;
    void stored(std::string container, std::string object);
    void published() { container_.clear(); }

private:
    SwiftClient& swift_;
    request_rec* r_;
    std::string container_;
    std::string object_;
};

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

}  // namespace artifacts::httpd
