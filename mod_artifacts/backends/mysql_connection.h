// One connection to the catalogue's MariaDB/MySQL server (libmariadb), with its prepared
// statements, and the per-process pool that lends them to request threads. Timeouts keep
// a dead or hung server from holding a worker: connecting gives up after
// connect_timeout, a reply after read_timeout; after a failed connect the pool refuses at
// once for retry_interval, so while the database is down a request costs no waiting.
#pragma once

#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace artifacts {

struct CatalogueSettings {
    std::string host = "127.0.0.1";
    unsigned port = 3306;
    std::string socket;  // a Unix socket instead of host and port
    std::string user;
    std::string password;  // read from password-file; never logged
    std::string database = "artifacts";
    unsigned connect_timeout = 2;  // seconds
    unsigned read_timeout = 10;    // seconds, also for writes
    unsigned retry_interval = 2;   // seconds without connecting after a failure
};

// Parses ArtifactsCatalogue's "host=... port=... user=... password-file=... dbname=..."
// and reads the password file. Returns an error sentence, or "" when `out` is set.
std::string parse_catalogue_settings(std::string_view text, CatalogueSettings& out);

// The server cannot be reached or did not answer in time (or a lock wait ran out): the
// caller falls back to the filesystem or answers 503.
class CatalogueUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A lock wait ran out or InnoDB chose this transaction as a deadlock victim: running the
// transaction again may well succeed.
class CatalogueBusy : public CatalogueUnavailable {
public:
    using CatalogueUnavailable::CatalogueUnavailable;
};

// The server answered with an error the module cannot recover from (a missing table,
// a schema it does not know).
class CatalogueError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::uint64_t, std::string_view>;
using SqlRow = std::vector<std::optional<std::string>>;

struct SqlResult {
    std::vector<SqlRow> rows;
    std::uint64_t affected_rows = 0;
};

class MySqlConnection {
public:
    explicit MySqlConnection(const CatalogueSettings& settings);  // throws CatalogueUnavailable
    ~MySqlConnection();
    MySqlConnection(const MySqlConnection&) = delete;
    MySqlConnection& operator=(const MySqlConnection&) = delete;

    // Runs `sql` (a string literal: statements are prepared once per connection and
    // cached by its address) with `params` bound to its '?' placeholders.
    SqlResult execute(const char* sql, std::initializer_list<SqlValue> params = {});
    // A statement without parameters or results (START TRANSACTION, COMMIT, ROLLBACK).
    void command(const char* sql);
    // False once an error left the connection in a state nobody should reuse.
    bool usable() const { return usable_; }

private:
    [[noreturn]] void fail(unsigned error, const char* message, const char* sql);

    MYSQL* db_ = nullptr;
    std::unordered_map<const char*, MYSQL_STMT*> statements_;
    bool usable_ = true;
};

class MySqlPool {
public:
    explicit MySqlPool(CatalogueSettings settings);
    ~MySqlPool();

    // A connection lent to one thread; it returns to the pool when the lease ends, unless
    // an error made it unusable.
    class Lease {
    public:
        Lease(MySqlPool& pool, std::unique_ptr<MySqlConnection> connection, bool reused)
            : pool_(&pool), connection_(std::move(connection)), reused_(reused) {}
        Lease(Lease&&) = default;
        Lease& operator=(Lease&&) = default;
        ~Lease();
        MySqlConnection& operator*() { return *connection_; }
        MySqlConnection* operator->() { return connection_.get(); }
        // True when the connection was opened earlier: it may have died with a server restart.
        bool reused() const { return reused_; }
        // False once moved from or broken.
        bool usable() const { return connection_ && connection_->usable(); }

    private:
        MySqlPool* pool_;
        std::unique_ptr<MySqlConnection> connection_;
        bool reused_;
    };

    // Throws CatalogueUnavailable (at once while a recent connect failed).
    Lease acquire();
    // Runs `work` with a pooled connection's lease; when a reused connection turns out
    // dead (the server restarted since), runs it once more on a fresh one. For work that
    // is idempotent or rolled back when it fails. When the server cannot be reached or
    // does not answer in time, the pool stands back for retry_interval.
    template <typename Work>
    auto with_lease(Work&& work) {
        // A reused connection that died gets one more try on a fresh one (which is not reused).
        for (Lease lease = acquire();; lease = connect()) {
            try {
                return work(lease);
            } catch (const CatalogueBusy&) {
                throw;  // the server answered: a lock wait ran out
            } catch (const CatalogueUnavailable&) {
                if (!lease.reused() || lease.usable()) {
                    stand_back();
                    throw;
                }
            }
        }
    }
    template <typename Work>
    auto with_connection(Work&& work) {
        return with_lease([&](Lease& lease) { return work(*lease); });
    }
    const CatalogueSettings& settings() const { return settings_; }

private:
    Lease connect();
    // Refuses at once for retry_interval, and drops the idle connections.
    void stand_back();
    void give_back(std::unique_ptr<MySqlConnection> connection);

    CatalogueSettings settings_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<MySqlConnection>> idle_;
    std::chrono::steady_clock::time_point refuse_until_{};
};

}  // namespace artifacts
