#include "fs_store.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../core/index/index_model.h"
#include "pending_journal.h"

namespace artifacts {

namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// A file's modification time in nanoseconds, as a commit mark keeps it.
std::int64_t mtime_ns(const struct stat& info) {
    return static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

[[noreturn]] void fail(int error, const std::string& what) {
    StoreError::Kind kind = StoreError::Kind::Io;
    if (error == ENOSPC || error == EDQUOT) {
        kind = StoreError::Kind::NoSpace;
    } else if (error == EFBIG) {
        kind = StoreError::Kind::TooLarge;
    }
    throw StoreError(kind, error, what + ": " + std::strerror(error));
}

// Why openat(O_DIRECTORY|O_NOFOLLOW) of an existing name failed: ELOOP and ENOTDIR
// both mean "not a plain directory"; tell a symlink from a file for the client.
[[noreturn]] void fail_component(int directory, const std::string& component, const std::string& path) {
    struct stat info;
    if (fstatat(directory, component.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(info.st_mode)) {
            throw StoreError(StoreError::Kind::Symlink, ELOOP, "'" + path + "' is a symbolic link");
        }
        if (!S_ISDIR(info.st_mode)) {
            throw StoreError(StoreError::Kind::NotDirectory, ENOTDIR, "'" + path + "' is not a directory");
        }
    }
    fail(errno, "cannot open '" + path + "'");
}

// The staged file's directory: the descriptor it keeps (a single upload's), or one opened
// for this call and closed after it, so that an archive of 100,000 members does not hold
// 100,000 descriptors.
std::shared_ptr<const UniqueFd> directory_of(const FsStore& store, const StagedFile& staged) {
    if (staged.directory_fd) {
        return staged.directory_fd;
    }
    return std::make_shared<const UniqueFd>(store.open_directory(staged.directory, nullptr));
}

std::string sha256_of(int fd) {
    Sha256 sha;
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t got = read(fd, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(errno, "cannot read an existing file");
        }
        if (got == 0) {
            return sha.hex_digest();
        }
        sha.update(std::string_view(buffer, static_cast<std::size_t>(got)));
    }
}

Existing compare_existing(int directory, const StagedFile& staged) {
    UniqueFd existing(openat(directory, staged.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!existing) {
        if (errno == ENOENT) {
            return Existing::Absent;
        }
        return Existing::Different;  // a symlink, or something we cannot read: never ours to equal
    }
    struct stat info;
    if (fstat(existing.get(), &info) != 0 || !S_ISREG(info.st_mode) ||
        static_cast<std::uint64_t>(info.st_size) != staged.size) {
        return Existing::Different;
    }
    return sha256_of(existing.get()) == staged.sha256 ? Existing::Identical : Existing::Different;
}

void sync_directory(const FsStore& store, int directory) {
    if (store.syncs() && fsync(directory) != 0) {
        fail(errno, "cannot fsync a directory");
    }
}

}  // namespace

FsStore::FsStore(std::string root, const PendingJournal* journal, bool sync)
    : root_(std::move(root)), journal_(journal), sync_(sync) {}

UniqueFd FsStore::open_directory(std::string_view relative, std::vector<std::string>* created) const {
    UniqueFd current(open(root_.c_str(), kDirectoryFlags));
    if (!current) {
        fail(errno, "cannot open ArtifactsRoot '" + root_ + "'");
    }
    std::size_t start = 0;
    while (start < relative.size()) {
        std::size_t slash = relative.find('/', start);
        if (slash == std::string_view::npos) {
            slash = relative.size();
        }
        const std::string component(relative.substr(start, slash - start));
        const std::string so_far(relative.substr(0, slash));
        UniqueFd next(openat(current.get(), component.c_str(), kDirectoryFlags));
        if (!next && errno == ENOENT && created != nullptr) {
            if (mkdirat(current.get(), component.c_str(), 0755) == 0) {
                created->push_back(so_far);
            } else if (errno != EEXIST) {
                fail(errno, "cannot create directory '" + so_far + "'");
            }
            next.reset(openat(current.get(), component.c_str(), kDirectoryFlags));
        }
        if (!next) {
            fail_component(current.get(), component, so_far);
        }
        current = std::move(next);
        start = slash + 1;
    }
    return current;
}

UniqueFd FsStore::open_existing_directory(std::string_view relative) const {
    try {
        return open_directory(relative, nullptr);
    } catch (const StoreError& error) {
        if (error.kind() == StoreError::Kind::Io && error.error_number() == ENOENT) {
            return UniqueFd();
        }
        throw;
    }
}

void FsStore::sync_created(const std::vector<std::string>& created) const {
    if (!sync_) {
        return;
    }
    for (const std::string& path : created) {
        const std::size_t slash = path.rfind('/');
        const UniqueFd parent = open_directory(slash == std::string::npos ? "" : path.substr(0, slash), nullptr);
        sync_directory(*this, parent.get());
    }
    if (!created.empty()) {
        const UniqueFd last = open_directory(created.back(), nullptr);
        sync_directory(*this, last.get());
    }
}

void FsStore::remove_empty_directories(const std::vector<std::string>& created) const {
    for (auto path = created.rbegin(); path != created.rend(); ++path) {
        const std::size_t slash = path->rfind('/');
        try {
            const UniqueFd parent = open_directory(
                slash == std::string::npos ? std::string_view() : std::string_view(*path).substr(0, slash), nullptr);
            unlinkat(parent.get(), path->c_str() + (slash == std::string::npos ? 0 : slash + 1), AT_REMOVEDIR);
        } catch (const StoreError&) {
            // Best effort: a directory another upload filled or removed stays as it is.
        }
    }
}

FileWriter::FileWriter(const FsStore& store, std::shared_ptr<const UniqueFd> directory, std::string directory_path,
                       std::string name, bool hash)
    : store_(store),
      directory_(std::move(directory)),
      directory_path_(std::move(directory_path)),
      name_(std::move(name)),
      hash_(hash) {
    for (int attempt = 0; attempt < 8 && !file_; ++attempt) {
        temporary_name_ = new_temporary_name();
        // Recorded before it exists: a crash in between leaves a record of nothing, never a file unrecorded.
        if (store_.journal() != nullptr) {
            store_.journal()->add(store_.root(), directory_path_, temporary_name_);
        }
        file_.reset(openat(directory_->get(), temporary_name_.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!file_) {
            const int error = errno;
            if (store_.journal() != nullptr) {
                store_.journal()->remove(temporary_name_);
            }
            if (error != EEXIST) {
                fail(error, "cannot create a temporary file in '" + directory_path_ + "'");
            }
        }
    }
    if (!file_) {
        fail(EEXIST, "cannot create a temporary file in '" + directory_path_ + "'");
    }
}

FileWriter::~FileWriter() {
    if (!temporary_name_.empty()) {
        unlinkat(directory_->get(), temporary_name_.c_str(), 0);
        if (store_.journal() != nullptr) {
            store_.journal()->remove(temporary_name_);
        }
    }
}

bool FileWriter::keep_summary(const LogSummary& summary) {
    const std::string stored = format_log_summary(summary);
    return fsetxattr(file_.get(), kSummaryAttribute, stored.data(), stored.size(), 0) == 0;
}

std::optional<LogSummary> read_kept_summary(int directory_fd, const char* name) {
    const UniqueFd file(openat(directory_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!file) {
        return std::nullopt;
    }
    char stored[512];
    const ssize_t got = fgetxattr(file.get(), kSummaryAttribute, stored, sizeof stored);
    if (got <= 0) {
        return std::nullopt;
    }
    return parse_log_summary(std::string_view(stored, static_cast<std::size_t>(got)));
}

void FileWriter::write(std::string_view bytes) {
    if (hash_) {
        sha_.update(bytes);
    }
    size_ += bytes.size();
    // Bodies arrive in socket-sized pieces (8 KiB): gathered into larger writes.
    if (pending_.size() + bytes.size() <= kWriteBuffer) {
        pending_.append(bytes);
        return;
    }
    flush();
    if (bytes.size() >= kWriteBuffer) {
        write_all(bytes);
    } else {
        pending_.append(bytes);
    }
}

void FileWriter::flush() {
    write_all(pending_);
    pending_.clear();
}

void FileWriter::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(file_.get(), bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(errno, "cannot write '" + directory_path_ + name_ + "'");
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

StagedFile FileWriter::finish(bool sync) {
    flush();
    if (sync && store_.syncs() && fsync(file_.get()) != 0) {
        fail(errno, "cannot fsync '" + directory_path_ + name_ + "'");
    }
    struct stat info {};
    if (fstat(file_.get(), &info) != 0) {
        fail(errno, "cannot stat '" + directory_path_ + name_ + "'");
    }
    if (close(file_.release()) != 0) {
        fail(errno, "cannot close '" + directory_path_ + name_ + "'");
    }
    StagedFile staged{directory_path_,
                      name_,
                      std::exchange(temporary_name_, std::string()),
                      size_,
                      hash_ ? sha_.hex_digest() : std::string(),
                      directory_,
                      {},
                      std::nullopt,
                      FileId{info.st_dev, info.st_ino},
                      mtime_ns(info)};
    return staged;
}

CommitMark commit_mark(const FsStore& store, const StagedFile& staged) {
    std::string path = store.root();
    if (path.empty() || path.back() != '/') {
        path += '/';
    }
    path += staged.directory + staged.name;
    return CommitMark{std::move(path), static_cast<std::uint64_t>(staged.id.device),
                      static_cast<std::uint64_t>(staged.id.inode), staged.size, staged.mtime_ns};
}

bool mark_present(const CommitMark& mark) {
    struct stat info {};
    return lstat(mark.path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           static_cast<std::uint64_t>(info.st_dev) == mark.device &&
           static_cast<std::uint64_t>(info.st_ino) == mark.inode &&
           static_cast<std::uint64_t>(info.st_size) == mark.size && mtime_ns(info) == mark.mtime_ns;
}

Existing inspect_target(const FsStore& store, StagedFile& staged) {
    return compare_existing(directory_of(store, staged)->get(), staged);
}

namespace {

void forget_temporary(const FsStore& store, StagedFile& staged) {
    if (store.journal() != nullptr) {
        store.journal()->remove(staged.temporary_name);
    }
    staged.temporary_name.clear();
}

// An exclusive flock of a directory for a few system calls: the uploads of one name in both
// encodings take it around their check and rename. Where the filesystem has no flock for
// directories, the check is made without it.
class DirectoryLock {
public:
    explicit DirectoryLock(int directory) : directory_(directory) {
        while (flock(directory_, LOCK_EX) != 0 && errno == EINTR) {
        }
    }
    ~DirectoryLock() { flock(directory_, LOCK_UN); }
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

private:
    int directory_;
};

std::optional<FileId> regular_file_id(int directory, const std::string& name) {
    struct stat info;
    if (fstatat(directory, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(info.st_mode)) {
        return std::nullopt;
    }
    return FileId{info.st_dev, info.st_ino};
}

}  // namespace

Existing publish(const FsStore& store, StagedFile& staged, bool overwrite, bool sync_directory_now) {
    const std::shared_ptr<const UniqueFd> directory_fd = directory_of(store, staged);
    const int directory = directory_fd->get();
    std::optional<DirectoryLock> lock;
    if (!staged.other_encoding.empty()) {
        lock.emplace(directory);
        if (has_entry(directory, staged.other_encoding)) {
            if (!overwrite) {
                return Existing::OtherEncoding;
            }
            staged.replaced_other = regular_file_id(directory, staged.other_encoding);
        }
    }
    if (renameat2(directory, staged.temporary_name.c_str(), directory, staged.name.c_str(), RENAME_NOREPLACE) == 0) {
        forget_temporary(store, staged);
        if (sync_directory_now) {
            sync_directory(store, directory);
        }
        return Existing::Absent;
    }
    if (errno != EEXIST) {
        fail(errno, "cannot publish '" + staged.directory + staged.name + "'");
    }
    const Existing existing = compare_existing(directory, staged);
    if (existing == Existing::Identical) {
        discard(store, staged);
        return Existing::Identical;
    }
    if (!overwrite) {
        return Existing::Different;
    }
    if (renameat(directory, staged.temporary_name.c_str(), directory, staged.name.c_str()) != 0) {
        fail(errno, "cannot replace '" + staged.directory + staged.name + "'");
    }
    forget_temporary(store, staged);
    if (sync_directory_now) {
        sync_directory(store, directory);
    }
    return Existing::Different;
}

void sync_all(const FsStore& store) {
    if (!store.syncs()) {
        return;
    }
    const UniqueFd root(open(store.root().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root || syncfs(root.get()) != 0) {
        fail(errno, "cannot sync the filesystem of ArtifactsRoot");
    }
}

void discard(const FsStore& store, StagedFile& staged) noexcept {
    if (staged.temporary_name.empty()) {
        return;
    }
    try {
        unlinkat(directory_of(store, staged)->get(), staged.temporary_name.c_str(), 0);
    } catch (const StoreError&) {
    }
    forget_temporary(store, staged);
}

void remove_replaced_other(const FsStore& store, const StagedFile& staged) noexcept {
    if (!staged.replaced_other) {
        return;
    }
    try {
        const std::shared_ptr<const UniqueFd> directory_fd = directory_of(store, staged);
        const DirectoryLock lock(directory_fd->get());
        const std::optional<FileId> now = regular_file_id(directory_fd->get(), staged.other_encoding);
        if (now && now->device == staged.replaced_other->device && now->inode == staged.replaced_other->inode) {
            unlinkat(directory_fd->get(), staged.other_encoding.c_str(), 0);
        }
    } catch (const StoreError&) {
    }
}

void remove_file(const FsStore& store, std::string_view directory, std::string_view name) noexcept {
    try {
        const UniqueFd parent = store.open_directory(directory, nullptr);
        const std::string terminated(name);
        struct stat info;
        if (fstatat(parent.get(), terminated.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(info.st_mode)) {
            unlinkat(parent.get(), terminated.c_str(), 0);
        }
    } catch (const StoreError&) {
    }
}

bool has_entry(int directory, const std::string& name) {
    struct stat info;
    return fstatat(directory, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace artifacts
