#include "pending_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "../core/index_model.h"
#include "fs_store.h"

namespace artifacts {

namespace {

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

const std::string& this_process() {
    thread_local std::string identity;
    thread_local pid_t identity_pid = 0;
    if (identity_pid != getpid()) {
        identity_pid = getpid();
        identity = std::to_string(identity_pid) + " " + start_time_of(identity_pid);
    }
    return identity;
}

}  // namespace

PendingJournal::PendingJournal(std::string directory) : directory_(std::move(directory)) {}

bool PendingJournal::add(const std::string& root, std::string_view directory, std::string_view temporary_name) const {
    const std::string path = directory_ + "/" + std::string(temporary_name);
    const std::string record = this_process() + "\n" + root + "\n" + std::string(directory) + "\n";
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        return false;
    }
    if (fd < 0 || write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
        const int error = errno;
        if (fd >= 0) {
            close(fd);
            unlink(path.c_str());
        }
        throw StoreError(error == ENOSPC ? StoreError::Kind::NoSpace : StoreError::Kind::Io, error,
                         "cannot record a pending upload in '" + directory_ + "': " + std::strerror(error));
    }
    close(fd);
    return true;
}

void PendingJournal::remove(std::string_view temporary_name) const noexcept {
    unlink((directory_ + "/" + std::string(temporary_name)).c_str());
}

std::size_t sweep_pending(const std::string& journal_directory) noexcept {
    std::size_t removed = 0;
    DIR* stream = opendir(journal_directory.c_str());
    if (stream == nullptr) {
        return 0;
    }
    while (const dirent* entry = readdir(stream)) {
        const std::string name = entry->d_name;
        if (name.rfind(kTemporaryFilePrefix, 0) != 0) {
            continue;
        }
        const std::string record_path = journal_directory + "/" + name;
        std::ifstream record(record_path);
        std::string owner;
        std::string root;
        std::string directory;
        if (!std::getline(record, owner) || !std::getline(record, root) || !std::getline(record, directory)) {
            continue;  // being written right now
        }
        const std::size_t space = owner.find(' ');
        const pid_t pid = static_cast<pid_t>(std::atoi(owner.substr(0, space).c_str()));
        if (pid > 0 && space != std::string::npos && start_time_of(pid) == owner.substr(space + 1)) {
            continue;  // its writer still runs
        }
        try {
            const UniqueFd parent = FsStore(root).open_directory(directory, nullptr);
            if (unlinkat(parent.get(), name.c_str(), 0) == 0) {
                ++removed;
            }
        } catch (const std::exception&) {
            // The directory is gone or was replaced: nothing of ours to remove there.
        }
        unlink(record_path.c_str());
    }
    closedir(stream);
    return removed;
}

}  // namespace artifacts
