// The token ledger in the catalogue: one row per jti in `tokens`, locked with
// SELECT ... FOR UPDATE while a request checks and charges it, so quotas and seals hold
// across every server that shares the database.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../core/store/ledger.h"
#include "mysql_connection.h"

namespace artifacts {

// The answer to the COMMIT of a ledger transaction was lost: it may have been applied.
// MySqlPool::resolve_lost_commit finds out.
class LedgerOutcomeUnknown : public LedgerUnavailable {
public:
    LedgerOutcomeUnknown(const std::string& what, unsigned long thread_id)
        : LedgerUnavailable(what), thread_id_(thread_id) {}
    unsigned long thread_id() const { return thread_id_; }

private:
    unsigned long thread_id_;
};

class MySqlLedgerEntry final : public LedgerEntry {
public:
    MySqlLedgerEntry(MySqlPool::Lease lease, std::string jti, LedgerUsage usage);
    ~MySqlLedgerEntry() override;  // rolls back what was not committed
    LedgerUsage usage() const override { return usage_; }
    void charge(std::uint64_t bytes, std::uint64_t files) override;
    void release(std::uint64_t bytes, std::uint64_t files) override;
    void seal(std::int64_t when) override;
    void commit() override;
    // The connection of the open transaction: catalogue rows written on it commit (or
    // roll back) together with the charge.
    MySqlConnection& connection() { return *lease_; }
    void reset_usage(LedgerUsage usage) { usage_ = usage; }

private:
    MySqlPool::Lease lease_;
    std::string jti_;
    LedgerUsage usage_;
    std::int64_t bytes_delta_ = 0;
    std::int64_t files_delta_ = 0;
    std::int64_t sealed_at_ = 0;
    bool open_ = true;
};

class MySqlLedger final : public Ledger {
public:
    // `token`: the request's token, whose row is made with its scope and expiry.
    explicit MySqlLedger(MySqlPool& pool, std::optional<TokenFacts> token = std::nullopt)
        : pool_(pool), token_(std::move(token)) {}
    // Throws LedgerUnavailable when the database cannot be asked.
    std::unique_ptr<LedgerEntry> open(std::string_view jti) override;
    // `insist`: for a clean-up after a failure, try a connection even while the pool
    // stands back.
    std::unique_ptr<MySqlLedgerEntry> open_entry(std::string_view jti, bool insist = false);
    MySqlPool& pool() { return pool_; }
    LedgerUsage peek(std::string_view jti) override;

private:
    MySqlPool& pool_;
    std::optional<TokenFacts> token_;
};

}  // namespace artifacts
