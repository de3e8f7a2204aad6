// The filesystem store: every write resolved beneath one directory handle of
// ArtifactsRoot, one component at a time with O_NOFOLLOW, so neither ".." nor a symlink
// planted in the tree can lead outside. Files are written as temporary files in their
// target directory, fsynced, and published by rename; until then nobody sees them.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../core/codec/digest.h"
#include "../core/store/log_summary.h"
#include "../core/store/store.h"
#include "unique_fd.h"

namespace artifacts {

class PendingJournal;  // pending_journal.h: records of temporary files, swept after a crash

class StoreError : public std::runtime_error {
public:
    enum class Kind {
        Symlink,       // a component of the path is a symbolic link
        NotDirectory,  // a component of the path is a file
        NoSpace,       // ENOSPC / EDQUOT
        TooLarge,      // EFBIG: over the file size limit of the process or filesystem
        Io,
    };
    StoreError(Kind kind, int error, const std::string& what) : std::runtime_error(what), kind_(kind), errno_(error) {}
    Kind kind() const { return kind_; }
    int error_number() const { return errno_; }

private:
    Kind kind_;
    int errno_;
};

// What is at a file's name before publishing.
// What is at a file's name before publishing. OtherEncoding: publish() refused because the
// same file is stored in the other encoding (see StagedFile::other_encoding).
enum class Existing { Absent, Identical, Different, OtherEncoding };

// A file's identity on its filesystem.
struct FileId {
    dev_t device = 0;
    ino_t inode = 0;
};

// A file written completely to a temporary name, waiting to be published or dropped.
struct StagedFile {
    std::string directory;  // relative to the root, "" or ending with "/"
    std::string name;       // final name in that directory
    std::string temporary_name;
    std::uint64_t size = 0;
    std::string sha256;                            // hex
    std::shared_ptr<const UniqueFd> directory_fd;  // kept for a single file, reopened for archives
    // The name of the same file in the other encoding ("x.txt.gz" for "x.txt" and back), which
    // must not be stored beside it: checked, and with overwrite noted for removal, under a lock
    // of the directory at publish, so that a plain and a gzip upload of one name never both land.
    std::string other_encoding;
    std::optional<FileId> replaced_other;  // the other encoding's file when this one was published
    FileId id;                             // of the temporary file, which publishing renames
    std::int64_t mtime_ns = 0;
};

// Whether `mark`'s file is there (the commit it marks happened). False when it cannot be
// looked at.
bool mark_present(const CommitMark& mark);

class FsStore {
public:
    // With a journal, every temporary file is recorded there while it exists, so that a
    // process that dies mid-upload leaves nothing sweep_pending() cannot find. With `sync`
    // (the default), a file is fsynced before it is published and its directory after, so
    // that what was answered 201 survives a power failure.
    explicit FsStore(std::string root, const PendingJournal* journal = nullptr, bool sync = true);

    // Opens directory `relative` ("" is the root; "a/b" or "a/b/") beneath the root,
    // creating what is missing when `created` is given (the paths it made are appended,
    // parents first, so a failed upload can remove them again).
    UniqueFd open_directory(std::string_view relative, std::vector<std::string>* created) const;

    // The same without creating anything: an empty UniqueFd when a component is missing.
    UniqueFd open_existing_directory(std::string_view relative) const;

    // Makes the directories open_directory() created durable (each one's entry in its
    // parent), when the store syncs: for a directory that is itself what was asked for.
    void sync_created(const std::vector<std::string>& created) const;

    // Removes the directories listed (deepest first) if they are empty.
    void remove_empty_directories(const std::vector<std::string>& created) const;

    const std::string& root() const { return root_; }
    const PendingJournal* journal() const { return journal_; }
    bool syncs() const { return sync_; }

private:
    std::string root_;
    const PendingJournal* journal_;
    bool sync_;
};

// Writes one file to a temporary name in an open directory. Destroying it before
// finish() removes the temporary file.
// The extended attribute a file's log summary is kept in (store/log_summary.h's stored
// form): it travels with the file through rename, and goes with it.
constexpr const char* kSummaryAttribute = "user.artifacts.summary";

// The summary kept with the regular file `name` of `directory_fd` (not followed when it is a
// symbolic link); nullopt when there is none or it cannot be read.
std::optional<LogSummary> read_kept_summary(int directory_fd, const char* name);

class FileWriter {
public:
    // Without `hash`, the caller hashes the bytes itself and sets the staged file's sha256.
    FileWriter(const FsStore& store, std::shared_ptr<const UniqueFd> directory, std::string directory_path,
               std::string name, bool hash = true);
    ~FileWriter();
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    // Throws StoreError; the bytes may be buffered until finish().
    void write(std::string_view bytes);
    // Keeps a log's summary with the file, as the extended attribute kSummaryAttribute, made
    // durable with it by finish(). Best effort: false where the filesystem keeps no user
    // attributes (the file is stored all the same, without a summary).
    bool keep_summary(const LogSummary& summary);
    std::uint64_t size() const { return size_; }
    // Writes what is buffered, fsyncs (when the store syncs, unless the caller makes a batch
    // durable at once with sync_all) and closes the file; the staged file still has to be
    // published or discarded.
    StagedFile finish(bool sync = true);

private:
    static constexpr std::size_t kWriteBuffer = 64 * 1024;
    void flush();
    void write_all(std::string_view bytes);

    const FsStore& store_;
    std::shared_ptr<const UniqueFd> directory_;
    std::string directory_path_;
    std::string name_;
    std::string temporary_name_;
    UniqueFd file_;
    std::uint64_t size_ = 0;
    std::string pending_;  // written bytes not yet handed to the kernel
    bool hash_;
    Sha256 sha_;
};

// The mark a staged file leaves once published under its final name (store.h).
CommitMark commit_mark(const FsStore& store, const StagedFile& staged);

// What is at the staged file's final name now.
Existing inspect_target(const FsStore& store, StagedFile& staged);

// Publishes with rename: never replacing anything unless `overwrite`. Returns Absent
// when a new name was created, Identical when the same bytes were already there (the
// temporary file is dropped), Different when it replaced a file (overwrite) or was
// refused because one exists (not overwrite; the temporary file is kept for discard()).
// `sync_directory` false leaves the directory's fsync to a sync_all() after a batch.
Existing publish(const FsStore& store, StagedFile& staged, bool overwrite, bool sync_directory = true);

// Makes everything written to the store's filesystem durable at once (syncfs), when the
// store syncs: for an archive, two calls (members written, members published) instead of
// two fsyncs per member. Throws StoreError.
void sync_all(const FsStore& store);

// After the publish of an overwrite was committed: removes the other encoding's file that
// was there when it was published, unless another upload has replaced it since. Never throws.
void remove_replaced_other(const FsStore& store, const StagedFile& staged) noexcept;

// Removes a staged temporary file. Never throws.
void discard(const FsStore& store, StagedFile& staged) noexcept;

// Removes `name` from the directory when it is a regular file (the other encoding of a
// replaced upload). Never throws.
void remove_file(const FsStore& store, std::string_view directory, std::string_view name) noexcept;

// True when the open directory has an entry `name` (of any type; a symlink is not followed).
bool has_entry(int directory, const std::string& name);

}  // namespace artifacts
