// Temporary upload files in flight, so that those of a process that dies mid-upload (a
// crash, a kill -9) can be found and removed: a request that fails removes its temporary
// file itself, a dead process cannot. Each process appends one line per temporary file it
// creates to its own record, ArtifactsStateDir/pending/<pid>-<start time>: one write() per
// upload, no file created or removed per upload. The record is rewritten from the files
// still in flight when it grows past 256 KiB. sweep_pending() reads the records of
// processes that are gone and removes what they list (a published file's temporary name
// no longer exists, so nothing else is touched).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace artifacts {

class PendingJournal {
public:
    explicit PendingJournal(std::string directory);
    // Records that this process creates `temporary_name` in `directory` (relative to
    // `root`). Throws StoreError.
    void add(const std::string& root, std::string_view directory, std::string_view temporary_name) const;
    // The temporary file was published or removed. Never throws.
    void remove(std::string_view temporary_name) const noexcept;
    const std::string& directory() const { return directory_; }

private:
    std::string directory_;
};

// Removes the temporary files listed by processes that no longer run, and their records;
// returns how many files it removed. Never follows a symlink; never throws.
std::size_t sweep_pending(const std::string& journal_directory) noexcept;

}  // namespace artifacts
