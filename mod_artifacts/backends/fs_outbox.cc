#include "fs_outbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "../core/codec/digest.h"
#include "fs_store.h"
#include "unique_fd.h"

namespace artifacts {

namespace {

constexpr std::string_view kSuffix = ".event";
constexpr std::string_view kPendingSuffix = ".pending";
constexpr std::string_view kTemporaryPrefix = ".tmp-";
// A pending record's first line: "artifacts-mark DEVICE INODE SIZE MTIME_NS HEX_PATH".
constexpr std::string_view kMarkMagic = "artifacts-mark ";
constexpr std::size_t kMaxRecord = 1 << 20;

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string format_mark(const CommitMark& mark) {
    return std::string(kMarkMagic) + std::to_string(mark.device) + ' ' + std::to_string(mark.inode) + ' ' +
           std::to_string(mark.size) + ' ' + std::to_string(mark.mtime_ns) + ' ' + hex_encode(mark.path) + '\n';
}

template <typename Number>
bool take_number(std::string_view& line, Number& value) {
    const std::size_t space = line.find(' ');
    const std::string_view field = line.substr(0, space);
    if (field.empty() || space == std::string_view::npos) {
        return false;
    }
    const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
    line.remove_prefix(space + 1);
    return error == std::errc() && end == field.data() + field.size();
}

// Takes the mark line off the front of a stored record: nullopt when there is none (or it
// is damaged, which `damaged` says).
std::optional<CommitMark> take_mark(std::string_view& stored, bool& damaged) {
    damaged = false;
    if (stored.substr(0, kMarkMagic.size()) != kMarkMagic) {
        return std::nullopt;
    }
    const std::size_t newline = stored.find('\n');
    std::string_view line = stored.substr(kMarkMagic.size(), newline - kMarkMagic.size());
    CommitMark mark;
    damaged = true;
    if (newline == std::string_view::npos || !take_number(line, mark.device) || !take_number(line, mark.inode) ||
        !take_number(line, mark.size) || !take_number(line, mark.mtime_ns) || line.empty()) {
        return std::nullopt;
    }
    std::optional<std::string> path = hex_decode(line);
    if (!path) {
        return std::nullopt;
    }
    mark.path = std::move(*path);
    damaged = false;
    stored.remove_prefix(newline + 1);
    return mark;
}

// The whole of a small regular file of the outbox (nullopt when it is not one, or gone).
std::optional<std::string> read_small_file(const std::string& path) {
    const UniqueFd file(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat info {};
    if (!file || fstat(file.get(), &info) != 0) {
        return std::nullopt;
    }
    if (!S_ISREG(info.st_mode) || static_cast<std::size_t>(info.st_size) > kMaxRecord) {
        errno = EINVAL;  // it is there, and not a record
        return std::nullopt;
    }
    std::string stored(static_cast<std::size_t>(info.st_size), '\0');
    if (pread(file.get(), stored.data(), stored.size(), 0) != info.st_size) {
        errno = EIO;
        return std::nullopt;
    }
    return stored;
}

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

// "<created as 16 hex digits>-<event id>-<8 hex of the receiver>.event": oldest first by name.
std::string record_name(const OutboxRecord& record) {
    char created[17];
    std::snprintf(created, sizeof created, "%016llx", static_cast<unsigned long long>(record.created));
    Sha256 sha;
    sha.update(record.url);
    return std::string(created) + "-" + record.event_id + "-" + sha.hex_digest().substr(0, 8) + std::string(kSuffix);
}

}  // namespace

void FsOutbox::write(const std::string& name, const std::string& content) const {
    const std::string temporary = directory_ + "/" + std::string(kTemporaryPrefix) + random_hex(8);
    {
        const UniqueFd file(open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!file) {
            fail("cannot write an event into " + directory_);
        }
        if (!write_all(file.get(), content) || (sync_ && fsync(file.get()) != 0)) {
            const int error = errno;
            unlink(temporary.c_str());
            errno = error;
            fail("cannot write an event into " + directory_);
        }
    }
    if (rename(temporary.c_str(), (directory_ + "/" + name).c_str()) != 0) {
        const int error = errno;
        unlink(temporary.c_str());
        errno = error;
        fail("cannot write an event into " + directory_);
    }
    if (sync_) {
        const UniqueFd directory(open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!directory || fsync(directory.get()) != 0) {
            fail("cannot make an event durable in " + directory_);
        }
    }
}

void FsOutbox::put(const OutboxRecord& record) const {
    write(record_name(record), format_outbox_record(record));
}

void FsOutbox::replace(const std::string& name, const OutboxRecord& record) const {
    write(name, format_outbox_record(record));
}

void FsOutbox::remove(const std::string& name) const {
    unlink((directory_ + "/" + name).c_str());
}

std::vector<std::pair<std::string, OutboxRecord>> FsOutbox::list(std::size_t max,
                                                                 std::vector<std::string>* damaged) const {
    std::vector<std::string> names;
    {
        const std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(directory_.c_str()), closedir);
        if (!listing) {
            fail("cannot read the outbox " + directory_);
        }
        while (const dirent* entry = readdir(listing.get())) {
            const std::string_view name = entry->d_name;
            if (ends_with(name, kSuffix) && name.front() != '.') {
                names.emplace_back(name);
            }
        }
    }
    std::sort(names.begin(), names.end());
    std::vector<std::pair<std::string, OutboxRecord>> records;
    for (const std::string& name : names) {
        if (records.size() >= max) {
            break;
        }
        const std::optional<std::string> stored = read_small_file(directory_ + "/" + name);
        if (!stored) {
            if (damaged != nullptr && errno != ENOENT) {
                damaged->push_back(name);
            }
            continue;
        }
        std::optional<OutboxRecord> record;
        std::string_view rest = *stored;
        bool damaged_mark = false;
        take_mark(rest, damaged_mark);
        if (!damaged_mark) {
            record = parse_outbox_record(rest);
        }
        if (!record) {
            if (damaged != nullptr) {
                damaged->push_back(name);
            }
            continue;
        }
        records.emplace_back(name, std::move(*record));
    }
    return records;
}

std::string FsOutbox::stage(const OutboxRecord& record, const CommitMark& mark) const {
    std::string name = record_name(record);
    name.replace(name.size() - kSuffix.size(), kSuffix.size(), kPendingSuffix);
    write(name, format_mark(mark) + format_outbox_record(record));
    return name;
}

FsOutbox::Settled FsOutbox::settle(const std::string& pending_name, const CommitMark* known) const {
    const std::string path = directory_ + "/" + pending_name;
    std::optional<CommitMark> read;
    if (known == nullptr) {
        const std::optional<std::string> stored = read_small_file(path);
        if (!stored && errno == EINVAL) {
            remove(pending_name);  // not a record: nothing to settle
            return Settled::Dropped;
        }
        if (!stored) {
            return errno == ENOENT ? Settled::Gone : Settled::Failed;
        }
        std::string_view rest = *stored;
        bool damaged = false;
        read = take_mark(rest, damaged);
        known = read ? &*read : nullptr;
    }
    if (known != nullptr && mark_present(*known)) {
        // The mark line stays in the event's file; list() reads past it.
        const std::string event =
            pending_name.substr(0, pending_name.size() - kPendingSuffix.size()) + std::string(kSuffix);
        if (rename(path.c_str(), (directory_ + "/" + event).c_str()) != 0) {
            return errno == ENOENT ? Settled::Gone : Settled::Failed;
        }
        return Settled::Kept;
    }
    if (unlink(path.c_str()) != 0) {
        return errno == ENOENT ? Settled::Gone : Settled::Failed;
    }
    return Settled::Dropped;
}

std::vector<std::pair<std::string, FsOutbox::Settled>> FsOutbox::settle_abandoned(std::int64_t now,
                                                                                  std::int64_t grace) const {
    std::vector<std::string> names;
    std::vector<std::pair<std::string, Settled>> settled;
    {
        const std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(directory_.c_str()), closedir);
        if (!listing) {
            fail("cannot read the outbox " + directory_);
        }
        while (const dirent* entry = readdir(listing.get())) {
            const std::string_view name = entry->d_name;
            if (ends_with(name, kPendingSuffix) || name.substr(0, kTemporaryPrefix.size()) == kTemporaryPrefix) {
                names.emplace_back(name);
            }
        }
    }
    for (const std::string& name : names) {
        struct stat info {};
        if (lstat((directory_ + "/" + name).c_str(), &info) != 0 || info.st_mtime > now - grace) {
            continue;
        }
        if (ends_with(name, kPendingSuffix)) {
            settled.emplace_back(name, settle(name));
        } else {
            remove(name);
        }
    }
    return settled;
}

std::vector<std::string> FsOutbox::recover(std::int64_t now) const {
    std::vector<std::string> sentences;
    for (const auto& [name, settled] : settle_abandoned(now, kPendingGrace)) {
        switch (settled) {
        case Settled::Kept:
            sentences.push_back("outbox file " + name + " was left by a request that ended after its commit: sent");
            break;
        case Settled::Dropped:
            sentences.push_back("outbox file " + name + " was left by a request that ended before its commit: removed");
            break;
        case Settled::Failed: sentences.push_back("outbox file " + name + " cannot be settled yet"); break;
        case Settled::Gone: break;
        }
    }
    return sentences;
}

void PendingEvents::stage(const FsOutbox& outbox, const std::vector<OutboxRecord>& records, const CommitMark& mark) {
    if (!outbox_) {
        outbox_.emplace(outbox);
    }
    for (const OutboxRecord& record : records) {
        pending_.push_back(Pending{outbox.stage(record, mark), record, mark});
    }
}

std::vector<std::string> PendingEvents::settle() noexcept {
    std::vector<std::string> problems;
    for (const Pending& pending : pending_) {
        try {
            // Gone with the mark there: the delivery process took the record for one of a
            // dead request while this one still committed (or it could not be renamed). It is
            // written again; a receiver that had it already knows it by its id.
            const FsOutbox::Settled settled = outbox_->settle(pending.name, &pending.mark);
            if ((settled == FsOutbox::Settled::Gone || settled == FsOutbox::Settled::Failed) &&
                mark_present(pending.mark)) {
                outbox_->put(pending.record);
            }
        } catch (const std::exception& error) {
            problems.push_back("the " + pending.record.kind + " event " + pending.record.event_id + " for " +
                               pending.record.url + " is lost: " + error.what());
        }
    }
    pending_.clear();
    return problems;
}

}  // namespace artifacts
