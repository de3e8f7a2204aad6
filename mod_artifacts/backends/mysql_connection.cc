#include "mysql_connection.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <cstring>
#include <thread>

#include "../core/codec/key_values.h"
#include "../core/metrics/metrics.h"
#include "idle_socket.h"
#include "secret_file.h"

namespace artifacts {

namespace {

bool parse_unsigned(const std::string& text, unsigned& out) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    out = static_cast<unsigned>(std::stoul(text));
    return true;
}

// Errors that say the server is away or busy rather than that the request is wrong.
bool is_transient(unsigned error) {
    return (error >= CR_MIN_ERROR && error <= CR_MAX_ERROR) || error == ER_LOCK_WAIT_TIMEOUT ||
           error == ER_LOCK_DEADLOCK || error == ER_SERVER_SHUTDOWN || error == ER_CON_COUNT_ERROR ||
           error == ER_QUERY_INTERRUPTED || error == ER_CONNECTION_KILLED;
}

}  // namespace

std::string parse_catalogue_settings(std::string_view text, CatalogueSettings& out) {
    const KeyValues values = parse_key_values(text);
    if (!values) {
        return values.error;
    }
    CatalogueSettings settings;
    bool has_password = false;
    for (const auto& [key, value] : values.pairs) {
        if (key == "host") {
            settings.host = value;
        } else if (key == "port") {
            if (!parse_unsigned(value, settings.port) || settings.port == 0 || settings.port > 65535) {
                return "port must be a TCP port number, not '" + value + "'";
            }
        } else if (key == "socket") {
            settings.socket = value;
        } else if (key == "user") {
            settings.user = value;
        } else if (key == "dbname" || key == "database") {
            settings.database = value;
        } else if (key == "password-file") {
            const std::optional<std::string> password = read_secret_file(value);
            if (!password) {
                return "cannot read password-file '" + value + "': " + std::strerror(errno);
            }
            settings.password = *password;
            has_password = true;
        } else if (key == "password") {
            return "give the password in a file (password-file=PATH), never in the configuration";
        } else if (unsigned* seconds = key == "connect-timeout"   ? &settings.connect_timeout
                                       : key == "read-timeout"    ? &settings.read_timeout
                                       : key == "lookup-timeout"  ? &settings.lookup_timeout
                                       : key == "retry-interval"  ? &settings.retry_interval
                                       : key == "resolve-timeout" ? &settings.resolve_timeout
                                                                  : nullptr) {
            if (!parse_unsigned(value, *seconds) || *seconds == 0 || *seconds > 3600) {
                return key + " takes whole seconds from 1 to 3600, not '" + value + "'";
            }
        } else {
            return "unknown setting '" + key +
                   "' (host, port, socket, user, password-file, dbname, connect-timeout, read-timeout, "
                   "lookup-timeout, retry-interval, resolve-timeout)";
        }
    }
    if (settings.user.empty()) {
        return "user= is required";
    }
    if (!has_password) {
        return "password-file= is required";
    }
    out = std::move(settings);
    return "";
}

MySqlConnection::MySqlConnection(const CatalogueSettings& settings, unsigned read_timeout) {
    db_ = mysql_init(nullptr);
    if (db_ == nullptr) {
        throw std::bad_alloc();
    }
    const unsigned int connect_timeout = settings.connect_timeout;
    mysql_options(db_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(db_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_options(db_, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
    mysql_options(db_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const bool use_socket = !settings.socket.empty();
    if (mysql_real_connect(db_, use_socket ? nullptr : settings.host.c_str(), settings.user.c_str(),
                           settings.password.c_str(), settings.database.c_str(), use_socket ? 0 : settings.port,
                           use_socket ? settings.socket.c_str() : nullptr, CLIENT_FOUND_ROWS) == nullptr) {
        const std::string message =
            std::string("cannot connect to the catalogue at ") +
            (use_socket ? settings.socket : settings.host + ":" + std::to_string(settings.port)) + ": " +
            mysql_error(db_);
        const unsigned error = mysql_errno(db_);
        mysql_close(db_);
        db_ = nullptr;
        if (error == ER_ACCESS_DENIED_ERROR || error == ER_BAD_DB_ERROR || error == ER_DBACCESS_DENIED_ERROR) {
            throw CatalogueError(message);
        }
        throw CatalogueUnavailable(message);
    }
    metrics::record_connection(metrics::Backend::Catalogue, true);
}

MySqlConnection::~MySqlConnection() {
    for (auto& [sql, statement] : statements_) {
        mysql_stmt_close(statement);
    }
    if (db_ != nullptr) {
        mysql_close(db_);
        metrics::record_connection(metrics::Backend::Catalogue, false);
    }
}

void MySqlConnection::fail(unsigned error, const char* message, const char* sql) {
    std::string what = std::string("catalogue: ") + message;
    if (sql != nullptr) {
        what += " (in: ";
        what.append(sql, std::min<std::size_t>(std::strlen(sql), 60));
        what += ")";
    }
    if (error == ER_LOCK_DEADLOCK || error == ER_LOCK_WAIT_TIMEOUT) {
        throw CatalogueBusy(what);  // the connection is fine; the transaction may run again
    }
    if (is_transient(error)) {
        // A client error, or the server killed the connection or is shutting down: after a
        // restart the first statement on a pooled connection may read the server's parting
        // "connection was killed" rather than a client error. Either way it is not reused.
        usable_ = false;
        throw CatalogueUnavailable(what);
    }
    throw CatalogueError(what);
}

void MySqlConnection::command(const char* sql) {
    const metrics::TimedRequest timed(metrics::Backend::Catalogue);
    if (mysql_query(db_, sql) != 0) {
        fail(mysql_errno(db_), mysql_error(db_), sql);
    }
}

void MySqlConnection::commit() {
    const metrics::TimedRequest timed(metrics::Backend::Catalogue);
    if (mysql_query(db_, "COMMIT") == 0) {
        return;
    }
    const unsigned error = mysql_errno(db_);
    try {
        fail(error, mysql_error(db_), "COMMIT");
    } catch (const CatalogueBusy&) {
        throw;
    } catch (const CatalogueUnavailable& e) {
        // The server may have committed before the connection broke (or before it was
        // killed, or shut down): nobody knows yet.
        throw CatalogueOutcomeUnknown(e.what(), thread_id());
    }
}

unsigned long MySqlConnection::thread_id() const {
    return mysql_thread_id(db_);
}

bool MySqlConnection::idle_and_open() const {
    const my_socket fd = mysql_get_socket(db_);
    return fd >= 0 && idle_socket_is_quiet(static_cast<int>(fd));
}

SqlResult MySqlConnection::execute(const char* sql, std::initializer_list<SqlValue> params) {
    const metrics::TimedRequest timed(metrics::Backend::Catalogue);
    MYSQL_STMT*& statement = statements_[sql];
    if (statement == nullptr) {
        statement = mysql_stmt_init(db_);
        if (statement == nullptr) {
            statements_.erase(sql);
            throw std::bad_alloc();
        }
        if (mysql_stmt_prepare(statement, sql, std::strlen(sql)) != 0) {
            const unsigned error = mysql_stmt_errno(statement);
            const std::string message = mysql_stmt_error(statement);
            mysql_stmt_close(statement);
            statements_.erase(sql);
            fail(error, message.c_str(), sql);
        }
        const my_bool update_max_length = 1;
        mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length);
    }
    std::vector<MYSQL_BIND> binds(params.size());
    std::vector<unsigned long> lengths(params.size());
    std::size_t i = 0;
    for (const SqlValue& value : params) {
        MYSQL_BIND& bind = binds[i];
        std::memset(&bind, 0, sizeof bind);
        if (std::holds_alternative<std::nullptr_t>(value)) {
            bind.buffer_type = MYSQL_TYPE_NULL;
        } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
            bind.buffer_type = MYSQL_TYPE_LONGLONG;
            bind.buffer = const_cast<std::int64_t*>(number);
        } else if (const auto* unsigned_number = std::get_if<std::uint64_t>(&value)) {
            bind.buffer_type = MYSQL_TYPE_LONGLONG;
            bind.is_unsigned = 1;
            bind.buffer = const_cast<std::uint64_t*>(unsigned_number);
        } else {
            const std::string_view text = std::get<std::string_view>(value);
            lengths[i] = text.size();
            bind.buffer_type = MYSQL_TYPE_STRING;
            bind.buffer = const_cast<char*>(text.data());
            bind.buffer_length = text.size();
            bind.length = &lengths[i];
        }
        ++i;
    }
    if ((!binds.empty() && mysql_stmt_bind_param(statement, binds.data()) != 0) || mysql_stmt_execute(statement) != 0) {
        fail(mysql_stmt_errno(statement), mysql_stmt_error(statement), sql);
    }
    SqlResult result;
    MYSQL_RES* metadata = mysql_stmt_result_metadata(statement);
    if (metadata == nullptr) {
        result.affected_rows = mysql_stmt_affected_rows(statement);
        return result;
    }
    const std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> owned_metadata(metadata, mysql_free_result);
    if (mysql_stmt_store_result(statement) != 0) {
        fail(mysql_stmt_errno(statement), mysql_stmt_error(statement), sql);
    }
    const unsigned columns = mysql_num_fields(metadata);
    const MYSQL_FIELD* fields = mysql_fetch_fields(metadata);
    std::vector<MYSQL_BIND> outputs(columns);
    std::vector<std::string> buffers(columns);
    std::vector<unsigned long> out_lengths(columns);
    std::vector<my_bool> nulls(columns);
    for (unsigned c = 0; c < columns; ++c) {
        buffers[c].resize(std::max<unsigned long>(fields[c].max_length, 64) + 1);
        std::memset(&outputs[c], 0, sizeof outputs[c]);
        outputs[c].buffer_type = MYSQL_TYPE_STRING;
        outputs[c].buffer = buffers[c].data();
        outputs[c].buffer_length = buffers[c].size();
        outputs[c].length = &out_lengths[c];
        outputs[c].is_null = &nulls[c];
    }
    if (mysql_stmt_bind_result(statement, outputs.data()) != 0) {
        mysql_stmt_free_result(statement);
        fail(mysql_stmt_errno(statement), mysql_stmt_error(statement), sql);
    }
    result.rows.reserve(mysql_stmt_num_rows(statement));
    int status = 0;
    while ((status = mysql_stmt_fetch(statement)) == 0 || status == MYSQL_DATA_TRUNCATED) {
        SqlRow row(columns);
        for (unsigned c = 0; c < columns; ++c) {
            if (nulls[c]) {
                continue;
            }
            if (out_lengths[c] <= buffers[c].size()) {
                row[c].emplace(buffers[c].data(), out_lengths[c]);
                continue;
            }
            // Longer than the metadata promised: fetch this column again, whole.
            std::string whole(out_lengths[c], '\0');
            MYSQL_BIND again;
            std::memset(&again, 0, sizeof again);
            again.buffer_type = MYSQL_TYPE_STRING;
            again.buffer = whole.data();
            again.buffer_length = whole.size();
            if (mysql_stmt_fetch_column(statement, &again, c, 0) != 0) {
                mysql_stmt_free_result(statement);
                fail(mysql_stmt_errno(statement), mysql_stmt_error(statement), sql);
            }
            row[c].emplace(std::move(whole));
        }
        result.rows.push_back(std::move(row));
    }
    mysql_stmt_free_result(statement);
    if (status == 1) {
        fail(mysql_stmt_errno(statement), mysql_stmt_error(statement), sql);
    }
    return result;
}

MySqlPool::MySqlPool(CatalogueSettings settings, unsigned read_timeout)
    : settings_(std::move(settings)), read_timeout_(read_timeout) {}

MySqlPool::~MySqlPool() = default;

MySqlPool::Lease::~Lease() {
    if (pool_ != nullptr && connection_ && connection_->usable()) {
        pool_->give_back(std::move(connection_));
    }
}

void MySqlPool::give_back(std::unique_ptr<MySqlConnection> connection) {
    constexpr std::size_t kMaxIdle = 32;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < kMaxIdle) {
        idle_.push_back(std::move(connection));
    }
}

MySqlPool::Lease MySqlPool::acquire(bool insist) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (!insist && std::chrono::steady_clock::now() < refuse_until_) {
            throw CatalogueUnavailable("the catalogue was unreachable moments ago; not retrying yet");
        }
        if (!idle_.empty()) {
            std::unique_ptr<MySqlConnection> connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection), true);
        }
    }
    return connect();
}

MySqlPool::Lease MySqlPool::connect() {
    try {
        return Lease(*this, std::make_unique<MySqlConnection>(settings_, read_timeout_), false);
    } catch (const CatalogueUnavailable&) {
        stand_back();
        throw;
    }
}

void MySqlPool::stand_back() {
    const std::lock_guard<std::mutex> lock(mutex_);
    refuse_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(settings_.retry_interval);
    // Connections opened before the failure may be dead or stuck as well: drop them.
    idle_.clear();
}

bool MySqlPool::waited_out(std::chrono::steady_clock::time_point started) const {
    // The client gives up after read_timeout: an attempt that took most of it was waiting
    // for a server that does not answer.
    return std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(read_timeout_ * 900);
}

void MySqlPool::end_connection(MySqlConnection& connection, unsigned long thread_id,
                               std::chrono::steady_clock::time_point deadline) {
    try {
        connection.command(("KILL CONNECTION " + std::to_string(thread_id)).c_str());
    } catch (const CatalogueError&) {
        // ER_NO_SUCH_THREAD: it has ended already.
    }
    // KILL only asks: the connection's transaction ends when its thread does.
    for (;;) {
        const SqlResult result = connection.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?",
                                                    {std::uint64_t{thread_id}});
        if (result.rows.empty() || !result.rows[0][0] || *result.rows[0][0] == "0") {
            return;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw CatalogueUnavailable("the connection that sent COMMIT is still on the server");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void MySqlPool::pause_before_retry() {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
}

void MySqlPool::close_idle() {
    std::vector<std::unique_ptr<MySqlConnection>> closing;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        closing.swap(idle_);
    }
    // Destroyed outside the lock: mysql_close says goodbye to the server.
}

void MySqlPool::drop_closed_idle() {
    std::vector<std::unique_ptr<MySqlConnection>> closing;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = idle_.begin(); it != idle_.end();) {
            if ((*it)->idle_and_open()) {
                ++it;
            } else {
                closing.push_back(std::move(*it));
                it = idle_.erase(it);
            }
        }
    }
}

}  // namespace artifacts
