// Retention on Swift and the catalogue (artifacts-prune swift): rows past their expiry
// (ArtifactsRetention) or older than a cutoff, with their objects and the directory rows
// they leave empty; objects no row names (failed deletes, an upload that died before its
// row, overwrite twins); the token rows of expired tokens; the claims of uploads that died.
//
// Every removal is safe against the uploads of running servers:
// - a file row is locked (SELECT ... FOR UPDATE SKIP LOCKED) before its object is deleted,
//   and deleted in the same transaction: an overwrite committing meanwhile waits, and an
//   overwrite that moved the row to another object is seen and left alone;
// - a directory row goes in its own transaction after a locking read of its children,
//   which an upload adding a child either waits for or makes see the child;
// - an object is an orphan only when no row names it, no claim covers its path, and it is
//   older than the grace (an upload writes its object before its row).
// Batches are small transactions on indexed ranges: reads (consistent, not locking) never
// wait for them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.h"
#include "swift_client.h"

namespace artifacts {

struct CataloguePruneOptions {
    std::int64_t now = 0;
    std::optional<std::int64_t> cutoff;  // rows with an older mtime go too
    bool dry_run = false;
    std::size_t batch = 200;                // rows per transaction
    std::int64_t orphan_grace = 86400;      // an object younger than this is never an orphan
    std::int64_t claim_grace = 3600;        // a claim whose lease ran out this long ago is stale
    std::int64_t leeway = 60;               // ArtifactsTokenLeeway
    std::int64_t max_lifetime = 24 * 3600;  // ArtifactsTokenMaxLifetime: bounds a row without exp
    std::vector<std::string> containers;    // every container objects may be in (shards and twins)
    std::function<void(std::string_view what)> on_remove;
    std::function<void(std::string_view what, std::string_view why)> on_error;
};

struct CataloguePruneStats {
    std::atomic<std::uint64_t> rows_removed{0};
    std::atomic<std::uint64_t> bytes_removed{0};
    std::atomic<std::uint64_t> directories_removed{0};
    std::atomic<std::uint64_t> orphans_removed{0};
    std::atomic<std::uint64_t> tokens_removed{0};
    std::atomic<std::uint64_t> claims_removed{0};
    std::atomic<std::uint64_t> errors{0};
};

class CataloguePruner {
public:
    CataloguePruner(Catalogue& catalogue, SwiftClient& swift, const CataloguePruneOptions& options,
                    CataloguePruneStats& stats)
        : catalogue_(catalogue), swift_(swift), options_(options), stats_(stats) {}

    void expired_rows();
    void stale_claims();
    void orphans();
    void expired_tokens();

private:
    // Deletes the row of directory `path` if it has no children, then its parent's the same way.
    void empty_directories(std::string path);
    void report_error(std::string_view what, std::string_view why);
    void report_removal(std::string_view what);

    Catalogue& catalogue_;
    SwiftClient& swift_;
    const CataloguePruneOptions& options_;
    CataloguePruneStats& stats_;
};

// The containers a store of base name `base` with `shards` shards may hold objects in.
std::vector<std::string> store_containers(const std::string& base, unsigned shards);

}  // namespace artifacts
