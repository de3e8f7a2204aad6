#include "fs_ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "../core/codec/digest.h"
#include "unique_fd.h"

namespace artifacts {

namespace {

// "bytes files sealed_at\n", each a zero-padded 20-digit number: always 63 bytes.
constexpr std::size_t kRecordSize = 63;

[[noreturn]] void fail(const std::string& what) {
    throw LedgerUnavailable("ledger: " + what + ": " + std::strerror(errno));
}

void lock(int fd, int operation) {
    while (flock(fd, operation) != 0) {
        if (errno != EINTR) {
            fail("cannot lock a record");
        }
    }
}

LedgerUsage read_record(int fd) {
    char record[kRecordSize + 1] = {};
    const ssize_t got = pread(fd, record, kRecordSize, 0);
    if (got < 0) {
        fail("cannot read a record");
    }
    LedgerUsage usage;
    if (got == 0) {
        return usage;
    }
    std::uint64_t bytes = 0;
    std::uint64_t files = 0;
    std::int64_t sealed_at = 0;
    if (got != static_cast<ssize_t>(kRecordSize) ||
        std::sscanf(record, "%20" SCNu64 " %20" SCNu64 " %20" SCNd64, &bytes, &files, &sealed_at) != 3) {
        errno = EINVAL;
        fail("a record is damaged");
    }
    usage.bytes = bytes;
    usage.files = files;
    usage.sealed_at = sealed_at;
    return usage;
}

class FsLedgerEntry final : public LedgerEntry {
public:
    FsLedgerEntry(UniqueFd fd, LedgerUsage usage) : fd_(std::move(fd)), usage_(usage) {}
    LedgerUsage usage() const override { return usage_; }
    void charge(std::uint64_t bytes, std::uint64_t files) override {
        usage_.bytes += bytes;
        usage_.files += files;
    }
    void release(std::uint64_t bytes, std::uint64_t files) override {
        usage_.bytes -= std::min(bytes, usage_.bytes);
        usage_.files -= std::min(files, usage_.files);
    }
    void seal(std::int64_t when) override {
        usage_.sealed_at = when;
        sealing_ = true;
    }
    void commit() override {
        char record[kRecordSize + 1];
        std::snprintf(record, sizeof record, "%020" PRIu64 " %020" PRIu64 " %020" PRId64 "\n", usage_.bytes,
                      usage_.files, usage_.sealed_at);
        if (pwrite(fd_.get(), record, kRecordSize, 0) != static_cast<ssize_t>(kRecordSize)) {
            fail("cannot write a record");
        }
        // Charges live in the page cache, which every process sees at once and a restart of
        // httpd keeps; only the seal, which must never be undone, waits for the disk.
        if (sealing_ && fdatasync(fd_.get()) != 0) {
            fail("cannot sync a record");
        }
    }

private:
    UniqueFd fd_;  // holds the flock until destruction
    LedgerUsage usage_;
    bool sealing_ = false;
};

}  // namespace

FsLedger::FsLedger(std::string directory) : directory_(std::move(directory)) {}

std::string FsLedger::record_path(std::string_view jti) const {
    Sha256 sha;
    sha.update(jti);
    const std::string name = sha.hex_digest();
    return directory_ + "/" + name.substr(0, 2) + "/" + name;
}

std::unique_ptr<LedgerEntry> FsLedger::open(std::string_view jti) {
    const std::string path = record_path(jti);
    constexpr int kFlags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
    UniqueFd fd(::open(path.c_str(), kFlags, 0600));
    if (!fd && errno == ENOENT) {  // the first token of its shard
        const std::string shard = path.substr(0, path.rfind('/'));
        if (mkdir(shard.c_str(), 0700) != 0 && errno != EEXIST) {
            fail("cannot create '" + shard + "'");
        }
        fd.reset(::open(path.c_str(), kFlags, 0600));
    }
    if (!fd) {
        fail("cannot open '" + path + "'");
    }
    lock(fd.get(), LOCK_EX);
    const LedgerUsage usage = read_record(fd.get());
    return std::make_unique<FsLedgerEntry>(std::move(fd), usage);
}

LedgerUsage FsLedger::peek(std::string_view jti) {
    const std::string path = record_path(jti);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT) {
            return {};
        }
        fail("cannot open '" + path + "'");
    }
    lock(fd.get(), LOCK_SH);
    return read_record(fd.get());
}

}  // namespace artifacts
