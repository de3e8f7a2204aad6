// The embedded ledger under ArtifactsStateDir: one small file per token (named by the
// SHA-256 of its jti, in 256 shard directories), locked with flock() while a request
// checks and charges it, so every httpd child and thread of one host agrees. The record
// has a fixed width and is rewritten in place; a seal is fdatasync'ed before it counts.
#pragma once

#include <memory>
#include <string>

#include "../core/store/ledger.h"

namespace artifacts {

class FsLedger final : public Ledger {
public:
    // `directory` must exist and be writable by the httpd children.
    explicit FsLedger(std::string directory);
    std::unique_ptr<LedgerEntry> open(std::string_view jti) override;
    LedgerUsage peek(std::string_view jti) override;

private:
    std::string record_path(std::string_view jti) const;
    std::string directory_;
};

}  // namespace artifacts
