#include "fs_ledger.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "../core/codec/digest.h"
#include "unique_fd.h"

namespace artifacts {

namespace {

// "bytes files sealed_at\n", each a zero-padded 20-digit number: always 63 bytes. Then,
// once, "expires_at scope\n" (expires_at zero-padded to 20 digits, the scope as the token
// names it, at most kMaxFactsLine bytes in all); a record without it is from before.
constexpr std::size_t kRecordSize = 63;
constexpr std::size_t kMaxFactsLine = 21 + 1024 + 1;

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

// The second line, when there is one: expires_at and scope.
bool read_facts(int fd, std::int64_t& expires_at, std::string& scope) {
    char line[kMaxFactsLine + 1] = {};
    const ssize_t got = pread(fd, line, kMaxFactsLine, kRecordSize);
    if (got <= 22 || line[20] != ' ') {
        return false;
    }
    const char* end = static_cast<const char*>(std::memchr(line, '\n', static_cast<std::size_t>(got)));
    if (end == nullptr || std::sscanf(line, "%20" SCNd64, &expires_at) != 1) {
        return false;
    }
    scope.assign(static_cast<const char*>(line + 21), end);
    return true;
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
    // `facts`: the line to add at the first commit (nullptr when the record has one).
    FsLedgerEntry(UniqueFd fd, LedgerUsage usage, const TokenFacts* facts)
        : fd_(std::move(fd)), usage_(usage), facts_(facts) {}
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
        if (facts_ != nullptr) {
            char expiry[32];
            std::snprintf(expiry, sizeof expiry, "%020" PRId64 " ", facts_->expires_at);
            const std::string line = expiry + facts_->scope.substr(0, kMaxFactsLine - 22) + "\n";
            if (pwrite(fd_.get(), line.data(), line.size(), kRecordSize) != static_cast<ssize_t>(line.size())) {
                fail("cannot write a record");
            }
            facts_ = nullptr;
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
    const TokenFacts* facts_;
    bool sealing_ = false;
};

}  // namespace

FsLedger::FsLedger(std::string directory, std::optional<TokenFacts> token)
    : directory_(std::move(directory)), token_(std::move(token)) {}

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
    const TokenFacts* facts = nullptr;
    if (token_ && token_->jti == jti) {
        std::int64_t expires_at = 0;
        std::string scope;
        if (!read_facts(fd.get(), expires_at, scope)) {
            facts = &*token_;
        }
    }
    return std::make_unique<FsLedgerEntry>(std::move(fd), usage, facts);
}

void FsLedger::for_each_record(
    const std::function<void(const LedgerRecord&)>& visit,
    const std::function<void(const std::string& path, const std::string& why)>& damaged) const {
    const std::unique_ptr<DIR, int (*)(DIR*)> top(opendir(directory_.c_str()), closedir);
    if (!top) {
        fail("cannot read '" + directory_ + "'");
    }
    while (const dirent* shard = readdir(top.get())) {
        if (std::strlen(shard->d_name) != 2 || !std::isxdigit(static_cast<unsigned char>(shard->d_name[0]))) {
            continue;
        }
        const std::string shard_path = directory_ + "/" + shard->d_name;
        const std::unique_ptr<DIR, int (*)(DIR*)> records(opendir(shard_path.c_str()), closedir);
        if (!records) {
            damaged(shard_path, std::strerror(errno));
            continue;
        }
        while (const dirent* entry = readdir(records.get())) {
            if (std::strlen(entry->d_name) != 64) {
                continue;
            }
            LedgerRecord record;
            record.path = shard_path + "/" + entry->d_name;
            UniqueFd fd(::open(record.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
            struct stat status {};
            if (!fd || fstat(fd.get(), &status) != 0) {
                damaged(record.path, std::strerror(errno));
                continue;
            }
            record.modified_at = status.st_mtime;
            try {
                lock(fd.get(), LOCK_SH);
                record.usage = read_record(fd.get());
            } catch (const LedgerUnavailable& e) {
                damaged(record.path, e.what());
                continue;
            }
            read_facts(fd.get(), record.expires_at, record.scope);
            visit(record);
        }
    }
}

bool FsLedger::remove_record(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT) {
            return false;
        }
        fail("cannot open '" + path + "'");
    }
    lock(fd.get(), LOCK_EX);  // not while a request holds it
    if (unlink(path.c_str()) != 0) {
        if (errno == ENOENT) {
            return false;
        }
        fail("cannot remove '" + path + "'");
    }
    return true;
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
