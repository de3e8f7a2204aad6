#include "swift_import.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>

#include "../core/codec/digest.h"
#include "../core/http/content_type.h"
#include "../core/policy/path_policy.h"
#include "../core/store/swift_naming.h"
#include "../core/upload/log_summarizer.h"
#include "unique_fd.h"

namespace artifacts {

namespace {

constexpr std::string_view kImportJti = "artifacts-import";
constexpr int kBusyAttempts = 8;
constexpr std::size_t kReadBlock = 256 * 1024;

// Where a summarizer hands on the bytes: they have gone to Swift already.
class Discard final : public Sink {
public:
    void write(std::string_view) override {}
};

struct Row {
    std::uint64_t size = 0;
    std::string sha256;
    std::string container;
};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

// "import-HOST-PID-" and random hex, 32 characters: a later import on this host can tell
// that the one holding a claim has died (the lease would hold the path for minutes).
std::string host_prefix() {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "import-%08lx-", static_cast<unsigned long>(gethostid()) & 0xffffffffUL);
    return prefix;
}

std::string owner_name() {
    static thread_local std::mt19937_64 generator{std::random_device{}()};
    static const char digits[] = "0123456789abcdef";
    char pid[16];
    std::snprintf(pid, sizeof pid, "%08x-", static_cast<unsigned>(getpid()));
    std::string owner = host_prefix() + pid;
    while (owner.size() < 32) {
        owner.push_back(digits[generator() % 16]);
    }
    return owner;
}

unsigned generator_jitter() {
    static thread_local std::mt19937 generator{std::random_device{}()};
    return generator() % 20;
}

// The claim's owner was an import on this host whose process is gone.
bool dead_import(const std::string& owner) {
    const std::string prefix = host_prefix();
    if (owner.size() < prefix.size() + 9 || owner.compare(0, prefix.size(), prefix) != 0) {
        return false;
    }
    const unsigned long pid = std::strtoul(owner.substr(prefix.size(), 8).c_str(), nullptr, 16);
    return pid != static_cast<unsigned long>(getpid()) && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::optional<Row> row_of(MySqlConnection& connection, const std::string& path) {
    const SqlResult found =
        connection.execute("SELECT size, sha256, container FROM artifacts WHERE path = ?", {std::string_view(path)});
    if (found.rows.empty()) {
        return std::nullopt;
    }
    const SqlRow& row = found.rows[0];
    return Row{std::stoull(row[0].value_or("0")), row[1].value_or(""), row[2].value_or("")};
}

std::string hash_file(int fd) {
    Sha256 sha;
    std::string buffer(kReadBlock, '\0');
    for (off_t offset = 0;;) {
        const ssize_t got = pread(fd, buffer.data(), buffer.size(), offset);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("cannot read");
        }
        if (got == 0) {
            return sha.hex_digest();
        }
        sha.update(std::string_view(buffer.data(), static_cast<std::size_t>(got)));
        offset += got;
    }
}

bool gzip_inner_type(std::string_view media_type) {
    for (const std::string_view pattern : kDefaultGzipInnerTypes) {
        if (media_type_matches(pattern, media_type)) {
            return true;
        }
    }
    return false;
}

// The path's claim, ended when this is destroyed unless the row's transaction ended it.
class Claim {
public:
    Claim(MySqlPool& pool, std::string path) : pool_(pool), path_(std::move(path)), owner_(owner_name()) {}
    ~Claim() {
        if (!held_) {
            return;
        }
        try {
            pool_.with_connection([&](MySqlConnection& connection) {
                return connection.execute("DELETE FROM uploads_in_progress WHERE path = ? AND owner = ?",
                                          {std::string_view(path_), std::string_view(owner_)});
            });
        } catch (const std::exception&) {
            // Its lease runs out; a server or artifacts-prune ends it then.
        }
    }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;

    // False when someone else holds the path. A claim left by an import of this host that
    // died (killed, or the machine rebooted) is taken at once rather than after its lease.
    bool take(std::int64_t lease_seconds) {
        for (int attempt = 0; attempt < 2 && !held_; ++attempt) {
            held_ = pool_.with_connection([&](MySqlConnection& connection) {
                if (connection
                        .execute("INSERT IGNORE INTO uploads_in_progress (path, jti, owner, started_at, lease_until) "
                                 "VALUES (?, ?, ?, UNIX_TIMESTAMP(), UNIX_TIMESTAMP() + ?)",
                                 {std::string_view(path_), kImportJti, std::string_view(owner_), lease_seconds})
                        .affected_rows == 1) {
                    return true;
                }
                const SqlResult holder =
                    connection.execute("SELECT owner FROM uploads_in_progress WHERE path = ? AND jti = ?",
                                       {std::string_view(path_), kImportJti});
                if (!holder.rows.empty() && dead_import(holder.rows[0][0].value_or(""))) {
                    connection.execute("DELETE FROM uploads_in_progress WHERE path = ? AND owner = ?",
                                       {std::string_view(path_), std::string_view(*holder.rows[0][0])});
                }
                return false;
            });
        }
        return held_;
    }
    // Ends it inside the caller's transaction.
    void end(MySqlConnection& connection) {
        connection.execute("DELETE FROM uploads_in_progress WHERE path = ? AND owner = ?",
                           {std::string_view(path_), std::string_view(owner_)});
    }
    void ended() { held_ = false; }

private:
    MySqlPool& pool_;
    std::string path_;
    std::string owner_;
    bool held_ = false;
};

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

ImportItem plan_import(const std::string& source, const std::string& relative, bool plain_sibling) {
    ImportItem item;
    item.source = source;
    item.path = relative;
    const std::string name = split_path(relative).name;
    const ContentType type = content_type_for(name);
    constexpr std::string_view kGz = ".gz";
    if (!plain_sibling && name.size() > kGz.size() && name.compare(name.size() - kGz.size(), kGz.size(), kGz) == 0) {
        const ContentType inner = content_type_for(std::string_view(name).substr(0, name.size() - kGz.size()));
        if (gzip_inner_type(inner.media_type)) {
            item.path = relative.substr(0, relative.size() - kGz.size());
            item.gzip = true;
            item.content_type = std::string(inner.media_type);
            return item;
        }
    }
    item.content_type = std::string(type.encoding.empty() ? type.media_type : "application/gzip");
    return item;
}

ImportResult Importer::import(const ImportItem& item) {
    UniqueFd fd(open(item.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat before {};
    if (!fd || fstat(fd.get(), &before) != 0) {
        fail("cannot open '" + item.source + "'");
    }
    if (!S_ISREG(before.st_mode)) {
        throw std::runtime_error("'" + item.source + "' is not a regular file");
    }
    ImportResult result{ImportOutcome::Imported, static_cast<std::uint64_t>(before.st_size)};
    const auto remove_source = [&] {
        if (!settings_.delete_source || settings_.dry_run) {
            return;
        }
        // The link that named it, or the file itself if it is still the file that was read.
        const std::string& victim = item.link.empty() ? item.source : item.link;
        struct stat now {};
        if (item.link.empty() && (lstat(victim.c_str(), &now) != 0 || !same_file(now, before))) {
            return;  // replaced or changed since: not ours to remove
        }
        if (unlink(victim.c_str()) != 0 && errno != ENOENT) {
            fail("cannot remove '" + victim + "'");
        }
        result.source_removed = true;
    };
    const auto judge = [&](const Row& row) {
        const bool same = row.size == result.bytes && row.sha256 == hash_file(fd.get());
        result.outcome = same ? ImportOutcome::AlreadyThere : ImportOutcome::Conflict;
        if (same) {
            remove_source();
        }
        return result;
    };
    MySqlPool& pool = catalogue_.pool();
    if (const auto row = pool.with_connection([&](MySqlConnection& c) { return row_of(c, item.path); })) {
        return judge(*row);
    }
    if (settings_.dry_run) {
        return result;
    }
    Claim claim(pool, item.path);
    // A lease long enough to send the file at 1 MB/s, at least ten minutes.
    if (!claim.take(600 + before.st_size / 1000000)) {
        result.outcome = ImportOutcome::Busy;
        return result;
    }
    if (const auto row = pool.with_connection([&](MySqlConnection& c) { return row_of(c, item.path); })) {
        return judge(*row);  // an upload committed between the look and the claim
    }

    const std::string container = shard_container(settings_.container, settings_.shards, item.path);
    HttpHeaders headers{{"Content-Type", item.content_type}};
    if (item.gzip) {
        headers.emplace_back("Content-Encoding", "gzip");
    }
    const std::int64_t now = static_cast<std::int64_t>(time(nullptr));
    if (settings_.retention > 0) {
        headers.emplace_back("X-Delete-At", std::to_string(now + settings_.retention));
    }
    Sha256 sha;
    off_t offset = 0;
    // The same count an upload makes of a log, from the bytes as they go to Swift.
    std::optional<LogSummarizer> summarizer;
    if (item.summarise) {
        summarizer.emplace();
    }
    Discard discard;
    const std::string etag = swift_.put(
        container, item.path, headers,
        [&](char* buffer, std::size_t size) -> std::size_t {
            for (;;) {
                const ssize_t got = pread(fd.get(), buffer, size, offset);
                if (got < 0 && errno == EINTR) {
                    continue;
                }
                if (got < 0) {
                    fail("cannot read '" + item.source + "'");
                }
                const std::string_view piece(buffer, static_cast<std::size_t>(got));
                sha.update(piece);
                if (summarizer && got > 0) {
                    summarizer->see(piece, discard);
                }
                offset += got;
                return static_cast<std::size_t>(got);
            }
        },
        before.st_size);
    struct stat after {};
    if (fstat(fd.get(), &after) != 0 || !same_file(before, after) || offset != before.st_size) {
        try {
            swift_.remove(container, item.path);
        } catch (const std::exception&) {
        }
        throw std::runtime_error("'" + item.source + "' changed while it was read; try again");
    }
    ArtifactRecord record;
    record.path = item.path;
    record.object = item.path;
    record.size = result.bytes;
    record.mtime = before.st_mtim.tv_sec;
    record.content_type = item.content_type;
    record.content_encoding = item.gzip ? "gzip" : "";
    record.sha256 = sha.hex_digest();
    record.etag = etag;
    record.store = "swift";
    record.container = container;
    record.jti = std::string(kImportJti);
    if (summarizer) {
        summarizer->finish(discard);
        ObjectNotes notes;
        summarizer->annotate(notes);
        record.summary = notes.summary;
    }
    if (settings_.retention > 0) {
        record.expires_at = now + settings_.retention;
    }
    try {
        // Imports of one directory insert its rows at once: InnoDB may end one of them as a
        // deadlock's victim, rolled back, to be run again.
        for (int attempt = 1;; ++attempt) {
            try {
                pool.with_connection([&](MySqlConnection& connection) {
                    connection.command("START TRANSACTION");
                    try {
                        catalogue_.record(connection, record);
                        claim.end(connection);
                    } catch (...) {
                        connection.command("ROLLBACK");
                        throw;
                    }
                    connection.commit();
                    return 0;
                });
                break;
            } catch (const CatalogueBusy&) {
                if (attempt == kBusyAttempts) {
                    throw;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10 * attempt + generator_jitter()));
            }
        }
    } catch (const CatalogueOutcomeUnknown& lost) {
        const std::optional<bool> committed = pool.resolve_lost_commit(lost.thread_id(), [&](MySqlConnection& c) {
            const auto row = row_of(c, item.path);
            return row && row->sha256 == record.sha256 && row->container == container;
        });
        if (committed != true) {
            if (committed == false) {
                swift_.remove(container, item.path);
            }
            throw;
        }
    } catch (...) {
        try {
            swift_.remove(container, item.path);
        } catch (const std::exception&) {
        }
        throw;
    }
    claim.ended();
    remove_source();
    return result;
}

}  // namespace artifacts
