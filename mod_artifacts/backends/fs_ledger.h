// The embedded ledger under ArtifactsStateDir: one small file per token (named by the
// SHA-256 of its jti, in 256 shard directories), locked with flock() while a request
// checks and charges it, so every httpd child and thread of one host agrees. The record
// has a fixed width and is rewritten in place; a seal is fdatasync'ed before it counts.
// A second line, written once, names the token's expiry and scope (for artifacts-prune).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "../core/store/ledger.h"

namespace artifacts {

// One record, as artifacts-prune reads them all.
struct LedgerRecord {
    std::string path;  // of the record file
    LedgerUsage usage;
    std::string scope;             // "" in a record from before scopes were kept
    std::int64_t expires_at = 0;   // 0 when unknown
    std::int64_t modified_at = 0;  // the record file's mtime
};

class FsLedger final : public Ledger {
public:
    // `directory` must exist and be writable by the httpd children. `token`: the request's
    // token, whose record learns its scope and expiry.
    explicit FsLedger(std::string directory, std::optional<TokenFacts> token = std::nullopt);
    std::unique_ptr<LedgerEntry> open(std::string_view jti) override;
    LedgerUsage peek(std::string_view jti) override;

    // Every record (an unreadable or damaged one is passed to `damaged`).
    void for_each_record(const std::function<void(const LedgerRecord&)>& visit,
                         const std::function<void(const std::string& path, const std::string& why)>& damaged) const;
    // Removes the record at `path` (of for_each_record) under its lock; false when it was gone.
    static bool remove_record(const std::string& path);

private:
    std::string record_path(std::string_view jti) const;
    std::string directory_;
    std::optional<TokenFacts> token_;
};

}  // namespace artifacts
