#include "pending_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "fs_store.h"

namespace artifacts {

namespace {

constexpr std::size_t kCompactAt = 256 * 1024;

// A process is its pid and its start time (in clock ticks since boot), so a recycled pid
// is not taken for the writer; "" for a process that is gone.
std::string start_time_of(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return "";
    }
    const std::size_t end_of_name = line.rfind(')');
    if (end_of_name == std::string::npos) {
        return "";
    }
    std::istringstream fields(line.substr(end_of_name + 2));
    std::string field;
    if (!(fields >> field) || field == "Z" || field == "X") {
        return "";  // a zombie has finished writing for good
    }
    for (int index = 4; index <= 22 && fields >> field; ++index) {
        if (index == 22) {
            return field;
        }
    }
    return "";
}

[[noreturn]] void fail(const std::string& what) {
    const int error = errno;
    throw StoreError(error == ENOSPC ? StoreError::Kind::NoSpace : StoreError::Kind::Io, error,
                     what + ": " + std::strerror(error));
}

void write_all(int fd, const std::string& text, const std::string& path) {
    if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        fail("cannot record a pending upload in '" + path + "'");
    }
}

// This process's record in one journal directory.
class ProcessRecord {
public:
    explicit ProcessRecord(std::string directory) : directory_(std::move(directory)) {}

    void add(const std::string& temporary_name, const std::string& line) {
        const std::lock_guard<std::mutex> lock(mutex_);
        open_for_this_process();
        write_all(fd_.get(), line, path_);
        in_flight_[temporary_name] = line;
        size_ += line.size();
        if (size_ > kCompactAt) {
            compact();
        }
    }

    void remove(const std::string& temporary_name) {
        const std::lock_guard<std::mutex> lock(mutex_);
        in_flight_.erase(temporary_name);
    }

private:
    // After a fork the child starts a record of its own.
    void open_for_this_process() {
        if (fd_ && pid_ == getpid()) {
            return;
        }
        pid_ = getpid();
        in_flight_.clear();
        path_ = directory_ + "/" + std::to_string(pid_) + "-" + start_time_of(pid_);
        fd_.reset(open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd_) {
            fail("cannot open '" + path_ + "'");
        }
        size_ = static_cast<std::size_t>(lseek(fd_.get(), 0, SEEK_END));
    }

    // Rewrites the record with only the files still in flight.
    void compact() {
        const std::string fresh = path_ + ".new";
        UniqueFd out(open(fresh.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out) {
            fail("cannot open '" + fresh + "'");
        }
        std::string text;
        for (const auto& entry : in_flight_) {
            text += entry.second;
        }
        write_all(out.get(), text, fresh);
        if (rename(fresh.c_str(), path_.c_str()) != 0) {
            fail("cannot replace '" + path_ + "'");
        }
        fd_.reset(open(path_.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
        if (!fd_) {
            fail("cannot open '" + path_ + "'");
        }
        size_ = text.size();
    }

    std::mutex mutex_;
    std::string directory_;
    pid_t pid_ = 0;
    std::string path_;
    UniqueFd fd_;
    std::map<std::string, std::string> in_flight_;  // temporary name -> its line
    std::size_t size_ = 0;
};

ProcessRecord& record_in(const std::string& directory) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::unique_ptr<ProcessRecord>> registry;
    const std::lock_guard<std::mutex> lock(registry_mutex);
    auto& record = registry[directory];
    if (!record) {
        record = std::make_unique<ProcessRecord>(directory);
    }
    return *record;
}

// "<pid>-<start time>" or the same with ".new": the writer, when it is gone.
bool writer_is_gone(const std::string& name) {
    const std::size_t dash = name.find('-');
    if (dash == std::string::npos) {
        return false;
    }
    std::string start = name.substr(dash + 1);
    if (const std::size_t dot = start.find('.'); dot != std::string::npos) {
        start.resize(dot);
    }
    const pid_t pid = static_cast<pid_t>(std::atoi(name.substr(0, dash).c_str()));
    return pid > 0 && start_time_of(pid) != start;
}

}  // namespace

PendingJournal::PendingJournal(std::string directory) : directory_(std::move(directory)) {}

void PendingJournal::add(const std::string& root, std::string_view directory, std::string_view temporary_name) const {
    const std::string name(temporary_name);
    record_in(directory_).add(name, root + "\t" + std::string(directory) + "\t" + name + "\n");
}

void PendingJournal::remove(std::string_view temporary_name) const noexcept {
    try {
        record_in(directory_).remove(std::string(temporary_name));
    } catch (...) {
    }
}

std::size_t sweep_pending(const std::string& journal_directory) noexcept {
    std::size_t removed = 0;
    DIR* stream = opendir(journal_directory.c_str());
    if (stream == nullptr) {
        return 0;
    }
    while (const dirent* entry = readdir(stream)) {
        const std::string name = entry->d_name;
        if (name == "." || name == ".." || !writer_is_gone(name)) {
            continue;
        }
        const std::string record_path = journal_directory + "/" + name;
        std::ifstream record(record_path);
        for (std::string line; std::getline(record, line);) {
            const std::size_t first = line.find('\t');
            const std::size_t second = first == std::string::npos ? first : line.find('\t', first + 1);
            if (second == std::string::npos) {
                continue;  // cut short by the crash
            }
            try {
                const UniqueFd parent =
                    FsStore(line.substr(0, first)).open_directory(line.substr(first + 1, second - first - 1), nullptr);
                if (unlinkat(parent.get(), line.c_str() + second + 1, 0) == 0) {
                    ++removed;
                }
            } catch (const std::exception&) {
                // The directory is gone or was replaced: nothing of ours to remove there.
            }
        }
        unlink(record_path.c_str());
    }
    closedir(stream);
    return removed;
}

}  // namespace artifacts
