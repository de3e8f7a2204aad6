#include "fs_prune.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "unique_fd.h"

namespace artifacts {

namespace {

using Clock = std::chrono::steady_clock;

// At most `rate` removals a second, shared by the threads (a plain token schedule).
class RateLimit {
public:
    explicit RateLimit(double rate) : interval_(rate > 0 ? 1.0 / rate : 0) {}
    void wait() {
        if (interval_ <= 0) {
            return;
        }
        Clock::time_point slot;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            const Clock::time_point now = Clock::now();
            next_ = std::max(next_, now);
            slot = next_;
            next_ += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_));
        }
        std::this_thread::sleep_until(slot);
    }

private:
    double interval_;
    std::mutex mutex_;
    Clock::time_point next_{};
};

struct Entry {
    std::string name;
    unsigned char type;
};

class Pruner {
public:
    Pruner(const RetentionPlan& plan, const PruneOptions& options, PruneStats& stats, dev_t device)
        : plan_(plan), options_(options), stats_(stats), device_(device), limit_(options.rate) {}

    struct Emptied {
        bool empty = true;     // nothing is left in it (or, in a dry run, nothing would be)
        bool removed = false;  // something in it was removed (or would be)
    };

    // Prunes the directory open as `fd` (path `relative`, "" or ending with '/').
    Emptied prune_directory(int fd, const std::string& relative, std::optional<std::int64_t> sealed) {
        Emptied result;
        bool readable = true;
        for (const Entry& entry : read_entries(fd, relative, readable)) {
            const bool gone = prune_entry(fd, relative, entry, sealed);
            result.removed = result.removed || gone;
            result.empty = result.empty && gone;
        }
        result.empty = result.empty && readable;
        return result;
    }

    // One entry of the directory open as `parent`; true when it is gone (or would be).
    bool prune_entry(int parent, const std::string& relative, const Entry& entry, std::optional<std::int64_t> sealed) {
        const bool directory = entry.type == DT_DIR || (entry.type == DT_UNKNOWN && is_directory(parent, entry.name));
        return directory ? prune_subdirectory(parent, relative, entry.name, sealed)
                         : prune_file(parent, relative, entry.name, sealed);
    }

    // True when the subdirectory is gone (or would be).
    bool prune_subdirectory(int parent, const std::string& relative, const std::string& name,
                            std::optional<std::int64_t> sealed) {
        const std::string path = relative + name + "/";
        if (plan_.holds_upload(path)) {
            return false;  // an upload in progress: not a byte of it is touched
        }
        UniqueFd fd(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat status {};
        if (!fd || fstat(fd.get(), &status) != 0) {
            return failed(path, errno);
        }
        if (status.st_dev != device_) {
            return false;  // a mount point: another filesystem is not ours to prune
        }
        if (const auto own = plan_.sealed_at(path)) {
            sealed = own;
        }
        const bool old = aged(status.st_mtime, sealed) < plan_.cutoff();
        const Emptied emptied = prune_directory(fd.get(), path, sealed);
        fd.reset();
        if (!emptied.empty || plan_.above_upload(path)) {
            return false;
        }
        // An empty directory goes when it is old itself, or held only what was old; a new
        // empty one (made a moment ago, about to be filled) stays.
        if (!old && !emptied.removed) {
            return false;
        }
        return remove(parent, path, name, AT_REMOVEDIR);
    }

    bool prune_file(int parent, const std::string& relative, const std::string& name,
                    std::optional<std::int64_t> sealed) {
        struct stat status {};
        if (fstatat(parent, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
            return errno == ENOENT || failed(relative + name, errno);
        }
        if (aged(status.st_mtime, sealed) >= plan_.cutoff()) {
            stats_.files_kept.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        if (!remove(parent, relative + name, name, 0)) {
            return false;
        }
        stats_.bytes_removed.fetch_add(static_cast<std::uint64_t>(status.st_size), std::memory_order_relaxed);
        return true;
    }

    // The names in the directory; `readable` false (and the error reported) when it cannot be read.
    std::vector<Entry> read_entries(int fd, const std::string& relative, bool& readable) {
        std::vector<Entry> entries;
        const int copy = dup(fd);
        DIR* directory = copy >= 0 ? fdopendir(copy) : nullptr;
        if (directory == nullptr) {
            const int error = errno;
            if (copy >= 0) {
                close(copy);
            }
            readable = failed(relative, error);
            return entries;
        }
        const std::unique_ptr<DIR, int (*)(DIR*)> owned(directory, closedir);
        while (const dirent* entry = readdir(directory)) {
            if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) {
                entries.push_back({entry->d_name, entry->d_type});
            }
        }
        return entries;
    }

private:
    // A sealed build ages from its seal, even where a file claims an older time (an archive's
    // members keep theirs); nothing is younger than its own modification time.
    static std::int64_t aged(std::int64_t modified, std::optional<std::int64_t> sealed) {
        return sealed ? std::max(*sealed, modified) : modified;
    }

    static bool is_directory(int parent, const std::string& name) {
        struct stat status {};
        return fstatat(parent, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(status.st_mode);
    }

    bool remove(int parent, const std::string& path, const std::string& name, int flags) {
        limit_.wait();
        if (!options_.dry_run && unlinkat(parent, name.c_str(), flags) != 0) {
            if (errno == ENOENT) {
                return true;  // gone meanwhile
            }
            return failed(path, errno);
        }
        (flags == AT_REMOVEDIR ? stats_.directories_removed : stats_.files_removed)
            .fetch_add(1, std::memory_order_relaxed);
        if (options_.on_remove) {
            const std::lock_guard<std::mutex> lock(report_);
            options_.on_remove(path);
        }
        return true;
    }

    // Always false: what could not be handled stays.
    bool failed(const std::string& path, int error) {
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        if (options_.on_error) {
            const std::lock_guard<std::mutex> lock(report_);
            options_.on_error(path, error);
        }
        return false;
    }

    const RetentionPlan& plan_;
    const PruneOptions& options_;
    PruneStats& stats_;
    const dev_t device_;
    RateLimit limit_;
    std::mutex report_;
};

}  // namespace

void prune_tree(const std::string& root, const RetentionPlan& plan, const PruneOptions& options, PruneStats& stats) {
    UniqueFd top(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat status {};
    if (!top || fstat(top.get(), &status) != 0) {
        throw std::system_error(errno, std::generic_category(), "cannot open '" + root + "'");
    }
    if (plan.holds_upload("")) {
        return;  // a token that may write anywhere is still uploading
    }
    Pruner pruner(plan, options, stats, status.st_dev);
    bool readable = true;
    const std::vector<Entry> entries = pruner.read_entries(top.get(), "", readable);
    const std::optional<std::int64_t> sealed = plan.sealed_at("");
    // The top level's entries, shared among the threads; each takes the next.
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i = next.fetch_add(1); i < entries.size(); i = next.fetch_add(1)) {
            pruner.prune_entry(top.get(), "", entries[i], sealed);
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1U, options.parallel); ++t) {
        threads.emplace_back(work);
    }
    work();
    for (std::thread& thread : threads) {
        thread.join();
    }
}

}  // namespace artifacts
