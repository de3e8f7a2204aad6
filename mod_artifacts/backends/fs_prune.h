// Retention on the filesystem store: removes what a RetentionPlan says is old, bottom-up
// (files, then the directories they leave empty), never through a symlink and never onto
// another filesystem: every step is relative to an open directory (openat, unlinkat with
// O_NOFOLLOW), so a tree written by untrusted uploads cannot steer it elsewhere. The
// top-level directories are shared among threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "../core/store/retention.h"

namespace artifacts {

struct PruneOptions {
    bool dry_run = false;
    double rate = 0;        // removals per second, all threads together; 0 for no limit
    unsigned parallel = 8;  // threads: most of a removal's time is waiting on the journal, not the CPU
    // Each removal (or, in a dry run, each that would be made), relative to the root;
    // directories end with '/'. Called from any of the threads, one at a time.
    std::function<void(std::string_view path)> on_remove;
    // Each path that could not be read or removed, with the reason. One at a time too.
    std::function<void(std::string_view path, int error)> on_error;
};

struct PruneStats {
    std::atomic<std::uint64_t> files_removed{0};
    std::atomic<std::uint64_t> bytes_removed{0};
    std::atomic<std::uint64_t> directories_removed{0};
    std::atomic<std::uint64_t> files_kept{0};
    std::atomic<std::uint64_t> errors{0};
};

// Prunes below `root` (which stays, even when emptied). Throws std::system_error when the
// root itself cannot be opened.
void prune_tree(const std::string& root, const RetentionPlan& plan, const PruneOptions& options, PruneStats& stats);

}  // namespace artifacts
