#include "mysql_ledger.h"

#include <algorithm>

namespace artifacts {

namespace {

LedgerUsage usage_from(const SqlResult& result) {
    LedgerUsage usage;
    if (!result.rows.empty()) {
        const SqlRow& row = result.rows[0];
        usage.bytes = row[0] ? std::stoull(*row[0]) : 0;
        usage.files = row[1] ? std::stoull(*row[1]) : 0;
        usage.sealed_at = row[2] ? std::stoll(*row[2]) : 0;
    }
    return usage;
}

constexpr const char* kSelectUsage = "SELECT bytes_used, files_used, sealed_at FROM tokens WHERE jti = ?";

}  // namespace

MySqlLedgerEntry::MySqlLedgerEntry(MySqlPool::Lease lease, std::string jti, LedgerUsage usage)
    : lease_(std::move(lease)), jti_(std::move(jti)), usage_(usage) {}

MySqlLedgerEntry::~MySqlLedgerEntry() {
    if (open_) {
        try {
            lease_->command("ROLLBACK");
        } catch (...) {
            // The connection is marked unusable and dropped; the server rolls back itself.
        }
    }
}

void MySqlLedgerEntry::charge(std::uint64_t bytes, std::uint64_t files) {
    usage_.bytes += bytes;
    usage_.files += files;
    bytes_delta_ += static_cast<std::int64_t>(bytes);
    files_delta_ += static_cast<std::int64_t>(files);
}

void MySqlLedgerEntry::release(std::uint64_t bytes, std::uint64_t files) {
    bytes = std::min(bytes, usage_.bytes);
    files = std::min(files, usage_.files);
    usage_.bytes -= bytes;
    usage_.files -= files;
    bytes_delta_ -= static_cast<std::int64_t>(bytes);
    files_delta_ -= static_cast<std::int64_t>(files);
}

void MySqlLedgerEntry::seal(std::int64_t when) {
    usage_.sealed_at = when;
    sealed_at_ = when;
}

void MySqlLedgerEntry::commit() {
    try {
        // The row is locked: the usage read at open() is still the row's, so the new
        // totals are written as they are rather than as increments.
        lease_->execute(
            "UPDATE tokens SET bytes_used = ?, files_used = ?, sealed_at = IF(? = 0, sealed_at, ?) "
            "WHERE jti = ?",
            {usage_.bytes, usage_.files, sealed_at_, sealed_at_, std::string_view(jti_)});
        open_ = false;  // from here the server ends the transaction, one way or the other
        lease_->commit();
    } catch (const CatalogueOutcomeUnknown& e) {
        throw LedgerOutcomeUnknown(e.what(), e.thread_id());
    } catch (const CatalogueBusy& e) {
        throw LedgerBusy(e.what());
    } catch (const std::exception& e) {
        throw LedgerUnavailable(e.what());
    }
}

std::unique_ptr<MySqlLedgerEntry> MySqlLedger::open_entry(std::string_view jti, bool insist) {
    try {
        return pool_.with_lease(
            [&](MySqlPool::Lease& lease) {
                // The row is created outside the transaction: an INSERT IGNORE that finds it
                // takes a shared lock, and two of those waiting to upgrade deadlock.
                if (token_ && token_->jti == jti) {
                    lease->execute("INSERT IGNORE INTO tokens (jti, scope, expires_at) VALUES (?, ?, ?)",
                                   {jti, std::string_view(token_->scope).substr(0, 1024), token_->expires_at});
                } else {
                    lease->execute("INSERT IGNORE INTO tokens (jti) VALUES (?)", {jti});
                }
                lease->command("START TRANSACTION");
                // From here the entry owns the transaction: if locking fails, it rolls back.
                auto entry = std::make_unique<MySqlLedgerEntry>(std::move(lease), std::string(jti), LedgerUsage{});
                entry->reset_usage(usage_from(entry->connection().execute(
                    "SELECT bytes_used, files_used, sealed_at FROM tokens WHERE jti = ? FOR UPDATE", {jti})));
                return entry;
            },
            insist);
    } catch (const CatalogueBusy& e) {
        throw LedgerBusy(e.what());
    } catch (const std::exception& e) {
        throw LedgerUnavailable(e.what());
    }
}

std::unique_ptr<LedgerEntry> MySqlLedger::open(std::string_view jti) {
    return open_entry(jti);
}

LedgerUsage MySqlLedger::peek(std::string_view jti) {
    try {
        return usage_from(pool_.with_connection(
            [&](MySqlConnection& connection) { return connection.execute(kSelectUsage, {jti}); }));
    } catch (const std::exception& e) {
        throw LedgerUnavailable(e.what());
    }
}

}  // namespace artifacts
