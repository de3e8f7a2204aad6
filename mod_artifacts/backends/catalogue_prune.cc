#include "catalogue_prune.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <limits>
#include <set>

#include "../core/index/swift_listing.h"
#include "../core/store/swift_naming.h"
#include "mysql_ledger.h"

namespace artifacts {

namespace {

std::uint64_t to_unsigned(const std::optional<std::string>& text) {
    return text ? std::stoull(*text) : 0;
}

std::string_view view(const std::optional<std::string>& text) {
    return text ? std::string_view(*text) : std::string_view();
}

}  // namespace

std::vector<std::string> store_containers(const std::string& base, unsigned shards) {
    std::vector<std::string> containers;
    if (shards < 2) {
        containers.push_back(base);
    } else {
        for (unsigned shard = 0; shard < shards; ++shard) {
            char suffix[16];
            std::snprintf(suffix, sizeof suffix, "-%03u", shard);
            containers.push_back(base + suffix);
        }
    }
    const std::size_t own = containers.size();
    for (std::size_t i = 0; i < own; ++i) {
        containers.push_back(containers[i] + std::string(kOverwriteContainerSuffix));
    }
    return containers;
}

void CataloguePruner::report_error(std::string_view what, std::string_view why) {
    stats_.errors.fetch_add(1);
    if (options_.on_error) {
        options_.on_error(what, why);
    }
}

void CataloguePruner::report_removal(std::string_view what) {
    if (options_.on_remove) {
        options_.on_remove(what);
    }
}

void CataloguePruner::expired_rows() {
    const std::int64_t cutoff = options_.cutoff ? *options_.cutoff : std::numeric_limits<std::int64_t>::min();
    // Two indexed ranges: rows past their expiry, and (with a cutoff) rows older than it.
    const char* const queries[] = {
        "SELECT id, path, size, store, container, object FROM artifacts "
        "WHERE expires_at <= ? AND is_directory = 0 AND id > ? ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
        "SELECT id, path, size, store, container, object FROM artifacts "
        "WHERE mtime < ? AND is_directory = 0 AND id > ? ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED",
    };
    for (const char* query : queries) {
        if (query == queries[1] && !options_.cutoff) {
            break;
        }
        const std::int64_t bound = query == queries[0] ? options_.now : cutoff;
        std::uint64_t after = 0;  // the last id seen: rows left behind (a failed delete) are not read again
        for (;;) {
            std::set<std::string> parents;
            const std::size_t seen = catalogue_.pool().with_lease([&](MySqlPool::Lease& lease) {
                MySqlConnection& connection = *lease;
                // Locks on the rows read, none on the gaps between them: uploads inserting
                // rows meanwhile never wait for the Swift deletes of a batch.
                connection.command("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
                connection.command("START TRANSACTION");
                try {
                    const SqlResult rows =
                        connection.execute(query, {bound, after, static_cast<std::uint64_t>(options_.batch)});
                    std::vector<std::uint64_t> gone;
                    for (const SqlRow& row : rows.rows) {
                        const std::uint64_t id = to_unsigned(row[0]);
                        after = std::max(after, id);
                        const std::string path(view(row[1]));
                        if (view(row[3]) == "swift" && !view(row[4]).empty() && !options_.dry_run) {
                            try {
                                swift_.remove(view(row[4]), view(row[5]));
                            } catch (const std::exception& e) {
                                report_error(path, e.what());
                                continue;  // the row stays, naming its object: tried again next time
                            }
                        }
                        gone.push_back(id);
                        stats_.bytes_removed.fetch_add(to_unsigned(row[2]));
                        report_removal(path);
                        parents.insert(parent_of(path));
                    }
                    if (!options_.dry_run) {
                        for (const std::uint64_t id : gone) {
                            connection.execute("DELETE FROM artifacts WHERE id = ?", {id});
                        }
                    }
                    connection.commit();
                    stats_.rows_removed.fetch_add(gone.size());
                    return rows.rows.size();
                } catch (...) {
                    connection.command("ROLLBACK");
                    throw;
                }
            });
            if (!options_.dry_run) {
                for (const std::string& parent : parents) {
                    empty_directories(parent);
                }
            }
            if (seen < options_.batch) {
                break;
            }
        }
    }
}

void CataloguePruner::empty_directories(std::string path) {
    while (!path.empty()) {
        const bool removed = catalogue_.pool().with_connection([&](MySqlConnection& connection) {
            connection.command("START TRANSACTION");
            try {
                // A locking read of the children: an upload adding one meanwhile waits for
                // this transaction, or this one sees its row.
                const SqlResult child = connection.execute(
                    "SELECT id FROM artifacts WHERE parent = ? LIMIT 1 FOR UPDATE", {std::string_view(path)});
                std::uint64_t deleted = 0;
                if (child.rows.empty()) {
                    deleted = connection
                                  .execute("DELETE FROM artifacts WHERE path = ? AND is_directory = 1",
                                           {std::string_view(path)})
                                  .affected_rows;
                }
                connection.commit();
                return deleted > 0;
            } catch (...) {
                connection.command("ROLLBACK");
                throw;
            }
        });
        if (!removed) {
            return;
        }
        stats_.directories_removed.fetch_add(1);
        report_removal(path);
        path = parent_of(path.substr(0, path.size() - 1));
    }
}

void CataloguePruner::stale_claims() {
    const SqlResult claims = catalogue_.pool().with_connection([&](MySqlConnection& connection) {
        return connection.execute("SELECT path, owner, jti FROM uploads_in_progress WHERE lease_until < ? LIMIT 10000",
                                  {options_.now - options_.claim_grace});
    });
    MySqlLedger ledger(catalogue_.pool());
    for (const SqlRow& claim : claims.rows) {
        const std::string path(view(claim[0]));
        if (options_.dry_run) {
            stats_.claims_removed.fetch_add(1);
            report_removal("claim on " + path);
            continue;
        }
        // As a server taking a claim over: the token's row, then the claim; what the upload
        // reserved goes back to its token.
        const auto entry = ledger.open_entry(view(claim[2]));
        MySqlConnection& connection = entry->connection();
        const SqlResult held = connection.execute(
            "SELECT reserved_bytes, reserved_files FROM uploads_in_progress "
            "WHERE path = ? AND owner = ? AND lease_until < ? FOR UPDATE",
            {std::string_view(path), view(claim[1]), options_.now - options_.claim_grace});
        if (held.rows.empty()) {
            continue;  // renewed or taken over meanwhile
        }
        entry->release(to_unsigned(held.rows[0][0]), to_unsigned(held.rows[0][1]));
        connection.execute("DELETE FROM uploads_in_progress WHERE path = ? AND owner = ?",
                           {std::string_view(path), view(claim[1])});
        entry->commit();
        stats_.claims_removed.fetch_add(1);
        report_removal("claim on " + path);
    }
}

void CataloguePruner::orphans() {
    const unsigned page = swift_.settings().listing_page;
    for (const std::string& container : options_.containers) {
        std::string marker;
        for (;;) {
            const nlohmann::json listing = nlohmann::json::parse(swift_.list(container, "", "", marker, page));
            if (!listing.is_array() || listing.empty()) {
                break;
            }
            for (const nlohmann::json& item : listing) {
                const std::string name = item.value("name", "");
                marker = name;
                if (name.empty() ||
                    parse_swift_time(item.value("last_modified", "")) > options_.now - options_.orphan_grace) {
                    continue;  // young: an upload may be about to write its row
                }
                const bool named = catalogue_.pool().with_connection([&](MySqlConnection& connection) {
                    const SqlResult row = connection.execute(
                        "SELECT 1 FROM artifacts WHERE path = ? AND container = ? AND object = ? "
                        "UNION ALL SELECT 1 FROM uploads_in_progress WHERE path = ?",
                        {std::string_view(name), std::string_view(container), std::string_view(name),
                         std::string_view(name)});
                    return !row.rows.empty();
                });
                if (named) {
                    continue;
                }
                if (!options_.dry_run) {
                    try {
                        swift_.remove(container, name);
                    } catch (const std::exception& e) {
                        report_error(container + "/" + name, e.what());
                        continue;
                    }
                }
                stats_.orphans_removed.fetch_add(1);
                report_removal(container + "/" + name);
            }
            if (listing.size() < page) {
                break;
            }
        }
    }
}

void CataloguePruner::expired_tokens() {
    // A token that can never upload again: past its exp and the leeway; a row of version 2
    // (no exp) once max_lifetime has passed since it was first seen.
    const std::int64_t expired = options_.now - options_.leeway;
    for (;;) {
        const std::uint64_t removed = catalogue_.pool().with_connection([&](MySqlConnection& connection) {
            if (options_.dry_run) {
                const SqlResult count = connection.execute(
                    "SELECT COUNT(*) FROM tokens WHERE expires_at < ? OR "
                    "(expires_at IS NULL AND first_seen < FROM_UNIXTIME(?))",
                    {expired, expired - options_.max_lifetime});
                return to_unsigned(count.rows[0][0]);
            }
            return connection
                .execute(
                    "DELETE FROM tokens WHERE expires_at < ? OR (expires_at IS NULL AND first_seen < FROM_UNIXTIME(?)) "
                    "LIMIT ?",
                    {expired, expired - options_.max_lifetime, static_cast<std::uint64_t>(options_.batch)})
                .affected_rows;
        });
        stats_.tokens_removed.fetch_add(removed);
        if (options_.dry_run || removed < options_.batch) {
            return;
        }
    }
}

}  // namespace artifacts
