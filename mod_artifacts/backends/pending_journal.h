// Temporary upload files in flight, one small record each under ArtifactsStateDir/pending,
// naming the process that writes it. A request that fails removes its temporary file
// itself; the records are for the process that dies mid-upload (a crash, a kill -9):
// sweep_pending() removes the temporary files of processes that are gone.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace artifacts {

class PendingJournal {
public:
    explicit PendingJournal(std::string directory);
    // Records that this process writes `temporary_name` in `directory` (relative to `root`);
    // false when a record of that name exists already. Throws StoreError.
    bool add(const std::string& root, std::string_view directory, std::string_view temporary_name) const;
    // The temporary file was published or removed. Never throws.
    void remove(std::string_view temporary_name) const noexcept;
    const std::string& directory() const { return directory_; }

private:
    std::string directory_;
};

// Removes the temporary files (and records) of processes that no longer run; returns how
// many files it removed. Never follows a symlink; never throws.
std::size_t sweep_pending(const std::string& journal_directory) noexcept;

}  // namespace artifacts
