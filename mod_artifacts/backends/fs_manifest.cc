#include "fs_manifest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "../core/index_model.h"

namespace artifacts {

namespace {

constexpr int kMaxDepth = 128;

struct Entry {
    std::string name;
    bool directory;
    std::uint64_t size;
    std::int64_t mtime;
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
                                    static_cast<std::int64_t>(info.st_mtime)});
        }
    }
    closedir(stream);
    // As Zuul's generator: directories first, each group by name.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.directory != b.directory ? a.directory : a.name < b.name;
    });
    return entries;
}

void walk(int directory, int depth, ManifestWriter& manifest) {
    if (depth > kMaxDepth) {
        throw StoreError(StoreError::Kind::Io, ELOOP, "the tree is nested too deeply for a manifest");
    }
    for (const Entry& entry : read_entries(directory, depth == 0)) {
        if (!entry.directory) {
            manifest.file(entry.name, entry.size, entry.mtime);
            continue;
        }
        const UniqueFd child(openat(directory, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child) {
            continue;  // replaced by something else meanwhile
        }
        manifest.begin_directory(entry.name);
        walk(child.get(), depth + 1, manifest);
        manifest.end_directory();
    }
}

}  // namespace

void write_manifest(const FsStore& store, std::string_view relative_directory, ManifestWriter& manifest) {
    const UniqueFd top = store.open_directory(relative_directory, nullptr);
    walk(top.get(), 0, manifest);
    manifest.finish();
}

}  // namespace artifacts
