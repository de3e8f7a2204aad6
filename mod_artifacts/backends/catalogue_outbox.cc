#include "catalogue_outbox.h"

#include <ctime>

namespace artifacts {

namespace {

std::uint64_t row_id(const std::string& name) {
    return std::stoull(name);
}

}  // namespace

void insert_outbox(MySqlConnection& connection, const std::vector<OutboxRecord>& records) {
    for (const OutboxRecord& record : records) {
        connection.execute(
            "INSERT INTO outbox (receiver, event_id, kind, signature, body, attempts, created, next_attempt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            {std::string_view(record.url), std::string_view(record.event_id), std::string_view(record.kind),
             std::string_view(record.signature), std::string_view(record.body),
             static_cast<std::uint64_t>(record.attempts), static_cast<std::int64_t>(record.created),
             static_cast<std::int64_t>(record.next_attempt)});
    }
}

std::vector<std::pair<std::string, OutboxRecord>> CatalogueOutbox::list(std::size_t max,
                                                                        std::vector<std::string>*) const {
    const auto now = static_cast<std::int64_t>(time(nullptr));
    const SqlResult result = catalogue_.pool().with_connection([&](MySqlConnection& connection) {
        return connection.execute(
            "SELECT id, receiver, event_id, kind, signature, body, attempts, created, next_attempt FROM outbox "
            "WHERE next_attempt <= ? ORDER BY id LIMIT ?",
            {now, static_cast<std::uint64_t>(max)});
    });
    std::vector<std::pair<std::string, OutboxRecord>> records;
    for (const SqlRow& row : result.rows) {
        OutboxRecord record;
        record.url = row[1].value_or("");
        record.event_id = row[2].value_or("");
        record.kind = row[3].value_or("");
        record.signature = row[4].value_or("");
        record.body = row[5].value_or("");
        record.attempts = static_cast<unsigned>(std::stoul(row[6].value_or("0")));
        record.created = std::stoll(row[7].value_or("0"));
        record.next_attempt = std::stoll(row[8].value_or("0"));
        records.emplace_back(row[0].value_or("0"), std::move(record));
    }
    return records;
}

// A lease on the row: its next attempt moved past the attempt now, by this process only.
bool CatalogueOutbox::claim(const std::string& name, const OutboxRecord& record, std::int64_t now,
                            std::int64_t lease) const {
    const SqlResult result = catalogue_.pool().with_connection([&](MySqlConnection& connection) {
        return connection.execute("UPDATE outbox SET next_attempt = ? WHERE id = ? AND next_attempt = ?",
                                  {now + lease, row_id(name), record.next_attempt});
    });
    return result.affected_rows == 1;
}

void CatalogueOutbox::replace(const std::string& name, const OutboxRecord& record) const {
    catalogue_.pool().with_connection([&](MySqlConnection& connection) {
        return connection.execute("UPDATE outbox SET attempts = ?, next_attempt = ? WHERE id = ?",
                                  {static_cast<std::uint64_t>(record.attempts), record.next_attempt, row_id(name)});
    });
}

void CatalogueOutbox::remove(const std::string& name) const {
    catalogue_.pool().with_connection([&](MySqlConnection& connection) {
        return connection.execute("DELETE FROM outbox WHERE id = ?", {row_id(name)});
    });
}

}  // namespace artifacts
