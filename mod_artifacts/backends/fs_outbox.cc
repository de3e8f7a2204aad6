#include "fs_outbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "../core/codec/digest.h"
#include "unique_fd.h"

namespace artifacts {

namespace {

constexpr std::string_view kSuffix = ".event";
constexpr std::size_t kMaxRecord = 1 << 20;

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

void FsOutbox::write(const std::string& name, const OutboxRecord& record) const {
    const std::string temporary = directory_ + "/.tmp-" + random_hex(8);
    {
        const UniqueFd file(open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!file) {
            fail("cannot write an event into " + directory_);
        }
        if (!write_all(file.get(), format_outbox_record(record)) || (sync_ && fsync(file.get()) != 0)) {
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
    write(record_name(record), record);
}

void FsOutbox::replace(const std::string& name, const OutboxRecord& record) const {
    write(name, record);
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
            if (name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix &&
                name.front() != '.') {
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
        const UniqueFd file(open((directory_ + "/" + name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        struct stat info {};
        if (!file || fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode) ||
            static_cast<std::size_t>(info.st_size) > kMaxRecord) {
            if (damaged != nullptr && errno != ENOENT) {
                damaged->push_back(name);
            }
            continue;
        }
        std::string stored(static_cast<std::size_t>(info.st_size), '\0');
        const ssize_t got = pread(file.get(), stored.data(), stored.size(), 0);
        std::optional<OutboxRecord> record;
        if (got == info.st_size) {
            record = parse_outbox_record(stored);
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

}  // namespace artifacts
