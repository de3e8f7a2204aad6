// One connection to the catalogue's MariaDB/MySQL server (libmariadb), with its prepared
// statements, and the per-process pool that lends them to request threads. Timeouts keep
// a dead or hung server from holding a worker: connecting gives up after
// connect_timeout, a reply after read_timeout (lookup_timeout for the pool that serves
// reads); after a failed connect or a reply that never came the pool refuses at once for
// retry_interval, so while the database is down a request costs no waiting.
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
    unsigned connect_timeout = 2;   // seconds
    unsigned read_timeout = 10;     // seconds, also for writes
    unsigned lookup_timeout = 2;    // seconds for a read that serves a GET (indexed, small)
    unsigned retry_interval = 2;    // seconds without connecting after a failure
    unsigned resolve_timeout = 30;  // seconds to learn the outcome of a COMMIT whose answer was lost
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

// The connection broke while COMMIT was on its way: the server may have applied it or
// not. `thread_id` is the server's id of that connection, for resolve_lost_commit().
class CatalogueOutcomeUnknown : public CatalogueUnavailable {
public:
    CatalogueOutcomeUnknown(const std::string& what, unsigned long thread_id)
        : CatalogueUnavailable(what), thread_id_(thread_id) {}
    unsigned long thread_id() const { return thread_id_; }

private:
    unsigned long thread_id_;
};

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::uint64_t, std::string_view>;
using SqlRow = std::vector<std::optional<std::string>>;

struct SqlResult {
    std::vector<SqlRow> rows;
    std::uint64_t affected_rows = 0;
};

class MySqlConnection {
public:
    // Throws CatalogueUnavailable. Replies wait `read_timeout` seconds at most.
    MySqlConnection(const CatalogueSettings& settings, unsigned read_timeout);
    ~MySqlConnection();
    MySqlConnection(const MySqlConnection&) = delete;
    MySqlConnection& operator=(const MySqlConnection&) = delete;

    // Runs `sql` (a string literal: statements are prepared once per connection and
    // cached by its address) with `params` bound to its '?' placeholders.
    SqlResult execute(const char* sql, std::initializer_list<SqlValue> params = {});
    // A statement without parameters or results (START TRANSACTION, COMMIT, ROLLBACK).
    void command(const char* sql);
    // COMMIT; when the connection breaks on the way, throws CatalogueOutcomeUnknown.
    void commit();
    // The server's id of this connection (what KILL and the process list name).
    unsigned long thread_id() const;
    // False when the server closed the connection (or sent something unasked) while it was idle.
    bool idle_and_open() const;
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
    // Connections answer within `read_timeout` seconds.
    MySqlPool(CatalogueSettings settings, unsigned read_timeout);
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

    // Throws CatalogueUnavailable (at once while a recent connect failed, unless `insist`:
    // a clean-up after a failure tries one connection anyway).
    Lease acquire(bool insist = false);
    // Runs `work` with a pooled connection's lease; when a reused connection turns out
    // dead (the server restarted since), runs it once more on a fresh one. For work that
    // is idempotent or rolled back when it fails. When the server cannot be reached or
    // does not answer in time, the pool stands back for retry_interval.
    template <typename Work>
    auto with_lease(Work&& work, bool insist = false) {
        // A reused connection that died gets one more try on a fresh one (which is not
        // reused); one that timed out waiting for the server does not: the server is hung,
        // not the connection stale.
        for (Lease lease = acquire(insist);; lease = connect()) {
            const auto started = std::chrono::steady_clock::now();
            try {
                return work(lease);
            } catch (const CatalogueBusy&) {
                throw;  // the server answered: a lock wait ran out
            } catch (const CatalogueUnavailable&) {
                if (!lease.reused() || lease.usable() || waited_out(started)) {
                    stand_back();
                    throw;
                }
            }
        }
    }
    template <typename Work>
    auto with_connection(Work&& work, bool insist = false) {
        return with_lease([&](Lease& lease) { return work(*lease); }, insist);
    }

    // After CatalogueOutcomeUnknown: ends the connection that sent the COMMIT (KILL, then
    // waits until the server has let it go, so its transaction is committed or rolled back
    // for good) and asks `committed` on a new connection. Retries until resolve_timeout.
    // Returns whether the transaction committed, or nothing when the server could not be
    // asked in time.
    template <typename Probe>
    std::optional<bool> resolve_lost_commit(unsigned long thread_id, Probe&& committed) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(settings_.resolve_timeout);
        for (;;) {
            try {
                MySqlConnection connection(settings_, settings_.read_timeout);
                end_connection(connection, thread_id, deadline);
                return committed(connection);
            } catch (const CatalogueUnavailable&) {
                if (std::chrono::steady_clock::now() + std::chrono::milliseconds(500) >= deadline) {
                    return std::nullopt;
                }
                pause_before_retry();
            }
        }
    }

    // Closes the idle connections (a child exits: the server hears a proper goodbye).
    void close_idle();
    // Closes the idle connections the server has closed meanwhile.
    void drop_closed_idle();
    const CatalogueSettings& settings() const { return settings_; }

private:
    Lease connect();
    bool waited_out(std::chrono::steady_clock::time_point started) const;
    void end_connection(MySqlConnection& connection, unsigned long thread_id,
                        std::chrono::steady_clock::time_point deadline);
    static void pause_before_retry();
    // Refuses at once for retry_interval, and drops the idle connections.
    void stand_back();
    void give_back(std::unique_ptr<MySqlConnection> connection);

    CatalogueSettings settings_;
    unsigned read_timeout_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<MySqlConnection>> idle_;
    std::chrono::steady_clock::time_point refuse_until_{};
};

}  // namespace artifacts
