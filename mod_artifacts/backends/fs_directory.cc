#include "fs_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cerrno>
#include <memory>

#include "fs_store.h"

namespace artifacts {

namespace {

struct DirCloser {
    void operator()(DIR* dir) const { closedir(dir); }
};

}  // namespace

int read_directory(const std::string& directory, const NameFilter& hide, IndexEntries& out,
                   const NameFilter& summarised) {
    const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    std::unique_ptr<DIR, DirCloser> dir(fdopendir(fd));
    if (!dir) {
        const int error = errno;
        close(fd);
        return error;
    }
    while (const dirent* item = readdir(dir.get())) {
        const std::string_view name = item->d_name;
        if (is_hidden_from_index(name) || (hide && hide(name))) {
            continue;
        }
        struct stat info;
        if (fstatat(fd, item->d_name, &info, 0) != 0) {
            continue;
        }
        const bool is_directory = S_ISDIR(info.st_mode);
        // The name is built with the list's allocator; moving the entry in keeps it there.
        out.push_back(IndexEntry{std::pmr::string(name, out.get_allocator()), is_directory,
                                 is_directory ? 0 : static_cast<std::uint64_t>(info.st_size), info.st_mtim.tv_sec,
                                 false, std::nullopt});
        if (S_ISREG(info.st_mode) && summarised && summarised(name)) {
            out.back().summary = read_kept_summary(fd, item->d_name);
        }
    }
    return 0;
}

}  // namespace artifacts
