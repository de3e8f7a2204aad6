#include "pending_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <sys/stat.h>

#include "../core/index/index_model.h"
#include "../core/policy/path_policy.h"
#include "fs_store.h"

namespace artifacts {

namespace {

// A record is rewritten once it is past this size and several times what is still in
// flight: amortised, each line is written a bounded number of times.
constexpr std::size_t kCompactAt = 256 * 1024;
constexpr std::size_t kCompactRatio = 4;
constexpr std::size_t kTemporarySuffixLength = 16;
// Longer lines are not the module's (a root of PATH_MAX, a directory of 1,024 bytes, a name).
constexpr std::size_t kMaxLine = 8192;

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
        live_ += line.size();
        if (const auto [it, added] = in_flight_.emplace(temporary_name, line); !added) {
            live_ -= it->second.size();
            it->second = line;
        }
        size_ += line.size();
        if (size_ > kCompactAt && size_ > kCompactRatio * live_) {
            compact();
        }
    }

    void remove(const std::string& temporary_name) {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (const auto it = in_flight_.find(temporary_name); it != in_flight_.end()) {
            live_ -= it->second.size();
            in_flight_.erase(it);
        }
    }

private:
    // After a fork the child starts a record of its own.
    void open_for_this_process() {
        if (fd_ && pid_ == getpid()) {
            return;
        }
        pid_ = getpid();
        in_flight_.clear();
        live_ = 0;
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
    std::size_t size_ = 0;                          // bytes in the record file
    std::size_t live_ = 0;                          // bytes of the lines still in flight
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

namespace {

bool is_lower_hex(std::string_view text) {
    return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The record of a process that is gone, opened without following a link or waiting on a
// FIFO; an empty fd for anything but a plain file.
UniqueFd open_record(int journal, const char* name) {
    UniqueFd fd(openat(journal, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat info;
    if (fd && (fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode))) {
        fd.reset();
    }
    return fd;
}

// Calls `take` with each complete line of the record (without its newline).
template <typename Take>
void for_each_line(int fd, Take take) {
    std::string buffer;
    char block[64 * 1024];
    bool skipping = false;  // inside a line longer than kMaxLine
    for (;;) {
        const ssize_t got = read(fd, block, sizeof block);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return;  // a last line without its newline was cut short by the crash
        }
        std::string_view rest(block, static_cast<std::size_t>(got));
        for (std::size_t newline = rest.find('\n'); newline != std::string_view::npos; newline = rest.find('\n')) {
            if (!skipping) {
                buffer.append(rest.substr(0, newline));
                take(std::string_view(buffer));
            }
            buffer.clear();
            skipping = false;
            rest.remove_prefix(newline + 1);
        }
        if (!skipping) {
            buffer.append(rest);
            if (buffer.size() > kMaxLine) {
                buffer.clear();
                skipping = true;
            }
        }
    }
}

bool remove_temporary(const PendingEntry& entry) noexcept {
    try {
        const UniqueFd parent = FsStore(entry.root).open_directory(entry.directory, nullptr);
        struct stat info;
        return fstatat(parent.get(), entry.name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(info.st_mode) &&
               unlinkat(parent.get(), entry.name.c_str(), 0) == 0;
    } catch (const std::exception&) {
        return false;  // the directory is gone or was replaced: nothing of ours to remove there
    }
}

}  // namespace

std::string new_temporary_name() {
    // Reseeded after a fork, or parent and child would pick the same names.
    thread_local std::mt19937_64 generator;
    thread_local pid_t seeded_in = 0;
    if (seeded_in != getpid()) {
        seeded_in = getpid();
        generator.seed(std::random_device{}());
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t bits = generator();
    std::string out(kTemporaryFilePrefix);
    for (std::size_t i = 0; i < kTemporarySuffixLength; ++i) {
        out.push_back(kHex[bits & 0xF]);
        bits >>= 4;
    }
    return out;
}

std::optional<PendingEntry> parse_pending_line(std::string_view line) {
    const std::size_t first = line.find('\t');
    const std::size_t second = first == std::string_view::npos ? first : line.find('\t', first + 1);
    if (second == std::string_view::npos || line.size() > kMaxLine) {
        return std::nullopt;
    }
    PendingEntry entry{std::string(line.substr(0, first)), std::string(line.substr(first + 1, second - first - 1)),
                       std::string(line.substr(second + 1))};
    const std::string_view suffix =
        std::string_view(entry.name).substr(std::min(entry.name.size(), kTemporaryFilePrefix.size()));
    const bool temporary_name = entry.name.size() == kTemporaryFilePrefix.size() + kTemporarySuffixLength &&
                                names_temporary_file(entry.name) && is_lower_hex(suffix);
    const bool clean_directory = entry.directory.empty() || (entry.directory.back() == '/' &&
                                                             check_relative_path(entry.directory) == PathProblem::None);
    if (!temporary_name || !clean_directory || entry.root.empty() || entry.root.front() != '/' ||
        entry.root.find('\0') != std::string::npos || check_served_path(entry.root.substr(1)) != PathProblem::None) {
        return std::nullopt;
    }
    return entry;
}

std::size_t sweep_pending(const std::string& journal_directory) noexcept {
    std::size_t removed = 0;
    const UniqueFd journal(open(journal_directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    const int listing = journal ? dup(journal.get()) : -1;
    DIR* stream = listing >= 0 ? fdopendir(listing) : nullptr;
    if (stream == nullptr) {
        if (listing >= 0) {
            close(listing);
        }
        return 0;
    }
    while (const dirent* item = readdir(stream)) {
        const std::string name = item->d_name;
        if (name == "." || name == ".." || !writer_is_gone(name)) {
            continue;
        }
        if (const UniqueFd record = open_record(journal.get(), item->d_name)) {
            try {
                for_each_line(record.get(), [&](std::string_view line) {
                    if (const auto entry = parse_pending_line(line); entry && remove_temporary(*entry)) {
                        ++removed;
                    }
                });
            } catch (const std::exception&) {
                // Out of memory for a line: the rest of this record waits for the next sweep.
                continue;
            }
        }
        unlinkat(journal.get(), item->d_name, 0);
    }
    closedir(stream);
    return removed;
}

}  // namespace artifacts
