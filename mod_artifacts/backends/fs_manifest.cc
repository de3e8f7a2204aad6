#include "fs_manifest.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "../core/index/index_model.h"
#include "fs_store.h"

namespace artifacts {

namespace {

struct Entry {
    std::string name;
    bool directory;
    std::uint64_t size;
    std::int64_t mtime;
    std::optional<LogSummary> summary;
};

std::vector<Entry> read_entries(int directory, bool top) {
    const int copy = dup(directory);
    DIR* stream = copy >= 0 ? fdopendir(copy) : nullptr;
    if (stream == nullptr) {
        if (copy >= 0) {
            close(copy);
        }
        throw StoreError(StoreError::Kind::Io, errno, std::string("cannot list a directory: ") + std::strerror(errno));
    }
    std::vector<Entry> entries;
    while (const dirent* item = readdir(stream)) {
        const std::string_view name = item->d_name;
        if (name == "." || name == ".." || is_hidden_from_index(name) || (top && name == kManifestName)) {
            continue;
        }
        struct stat info;
        if (fstatat(directory, item->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;  // removed meanwhile
        }
        if (S_ISDIR(info.st_mode) || S_ISREG(info.st_mode)) {
            entries.push_back(Entry{std::string(name), S_ISDIR(info.st_mode), static_cast<std::uint64_t>(info.st_size),
                                    static_cast<std::int64_t>(info.st_mtime),
                                    S_ISREG(info.st_mode) ? read_kept_summary(directory, item->d_name) : std::nullopt});
        }
    }
    closedir(stream);
    // As Zuul's generator: directories first, each group by name.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.directory != b.directory ? a.directory : a.name < b.name;
    });
    return entries;
}

// Opens `relative` below `top` without following a symbolic link or leaving `top`.
UniqueFd open_beneath(int top, const std::string& relative) {
    struct open_how how {};
    how.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return UniqueFd(static_cast<int>(syscall(SYS_openat2, top, relative.c_str(), &how, sizeof how)));
}

// One directory's entries are read before its subdirectories are walked, and each
// subdirectory is opened from the top by its path: the walk holds two descriptors whatever
// the depth (any tree an upload can make, 512 levels in 1,024 bytes, and deeper).
void walk(int top, const std::string& relative, ManifestWriter& manifest) {
    std::vector<Entry> entries;
    {
        const UniqueFd directory = relative.empty() ? UniqueFd(dup(top)) : open_beneath(top, relative);
        if (!directory) {
            if (relative.empty() || (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && errno != EXDEV)) {
                throw StoreError(StoreError::Kind::Io, errno,
                                 "cannot open '" + relative + "' for the manifest: " + std::strerror(errno));
            }
            return;  // replaced by something else meanwhile
        }
        entries = read_entries(directory.get(), relative.empty());
    }
    for (const Entry& entry : entries) {
        if (!entry.directory) {
            manifest.file(entry.name, entry.size, entry.mtime, entry.summary ? &*entry.summary : nullptr);
            continue;
        }
        manifest.begin_directory(entry.name);
        walk(top, relative + entry.name + "/", manifest);
        manifest.end_directory();
    }
}

}  // namespace

void write_manifest(const FsStore& store, std::string_view relative_directory, ManifestWriter& manifest) {
    const UniqueFd top = store.open_directory(relative_directory, nullptr);
    walk(top.get(), "", manifest);
    manifest.finish();
}

}  // namespace artifacts
