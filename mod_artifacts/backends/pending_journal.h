// Temporary upload files in flight, so that those of a process that dies mid-upload (a
// crash, a kill -9) can be found and removed: a request that fails removes its temporary
// file itself, a dead process cannot. Each process appends one line per temporary file it
// creates to its own record, ArtifactsStateDir/pending/<pid>-<start time>: one write() per
// file, no file created or removed per upload. The record is rewritten from the files
// still in flight when it has grown to several times their size, so each file costs O(1)
// bytes of bookkeeping whatever else is in flight (an archive of 100,000 members included).
// sweep_pending() reads the records of processes that are gone and removes what they list.
//
// The records are written by the httpd user, so what they say is not trusted: only names of
// the module's own temporary-file pattern are removed, a record that is not a plain file is
// ignored, and the caller runs the sweep as the httpd user (see the module's config.cc).
#pragma once

#include <cstddef>
#include <optional>
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

// One line of a record: a temporary file's directory (relative to root) and name.
struct PendingEntry {
    std::string root;       // absolute
    std::string directory;  // "" or a clean relative path ending with "/"
    std::string name;       // the module's temporary-file pattern, nothing else
};

// Parses "root\tdirectory\tname" (without the newline); nothing for a line that is cut
// short, malformed, or names anything but a temporary file of the module's own pattern.
std::optional<PendingEntry> parse_pending_line(std::string_view line);

// A fresh temporary file name of the module's pattern (the prefix and 16 hex digits).
std::string new_temporary_name();

// Removes the temporary files listed by processes that no longer run, and their records;
// returns how many files it removed. Never follows a symlink, never opens a record that is
// not a regular file, never throws.
std::size_t sweep_pending(const std::string& journal_directory) noexcept;

}  // namespace artifacts
