#include "upload_tree.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace artifacts::tools {

namespace {

// The link's target, when it is a regular file inside the tree (as zuul-jobs' uploaders
// follow links); nothing for a link that leaves the tree, dangles or names a directory.
bool in_tree_file(const std::string& link, const std::string& root_real, struct stat& target) {
    char* resolved = realpath(link.c_str(), nullptr);
    if (resolved == nullptr) {
        return false;
    }
    const std::string real(resolved);
    std::free(resolved);
    return real.size() > root_real.size() && real.compare(0, root_real.size(), root_real) == 0 &&
           (root_real == "/" || real[root_real.size()] == '/') && stat(real.c_str(), &target) == 0 &&
           S_ISREG(target.st_mode);
}

void walk(const std::string& directory, const std::string& relative, const std::string& root_real, Tree& tree) {
    DIR* stream = opendir(directory.c_str());
    if (stream == nullptr) {
        throw std::runtime_error("cannot read directory '" + directory + "': " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const dirent* entry = readdir(stream)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") {
            names.push_back(name);
        }
    }
    closedir(stream);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        const std::string path = directory + "/" + name;
        struct stat info;
        if (lstat(path.c_str(), &info) != 0) {
            continue;  // removed meanwhile
        }
        struct stat target;
        if (S_ISLNK(info.st_mode) && in_tree_file(path, root_real, target)) {
            tree.files.push_back({path, relative + name, static_cast<std::uint64_t>(target.st_size)});
            tree.total_bytes += static_cast<std::uint64_t>(target.st_size);
        } else if (S_ISDIR(info.st_mode)) {
            const std::size_t before = tree.files.size();
            walk(path, relative + name + "/", root_real, tree);
            if (tree.files.size() == before) {
                tree.files.push_back({path, relative + name + "/", 0, true});  // nothing below it: made empty
            }
        } else if (S_ISREG(info.st_mode)) {
            tree.files.push_back({path, relative + name, static_cast<std::uint64_t>(info.st_size)});
            tree.total_bytes += static_cast<std::uint64_t>(info.st_size);
        } else {
            tree.skipped.push_back(path);
        }
    }
}

}  // namespace

Tree collect_tree(const std::vector<std::string>& roots) {
    Tree tree;
    for (std::string root : roots) {
        while (root.size() > 1 && root.back() == '/') {
            root.pop_back();
        }
        struct stat info;
        if (stat(root.c_str(), &info) != 0) {
            throw std::runtime_error("cannot read '" + root + "': " + std::strerror(errno));
        }
        if (S_ISDIR(info.st_mode)) {
            char* resolved = realpath(root.c_str(), nullptr);
            if (resolved == nullptr) {
                throw std::runtime_error("cannot resolve '" + root + "': " + std::strerror(errno));
            }
            const std::string root_real(resolved);
            std::free(resolved);
            walk(root, "", root_real, tree);
        } else if (S_ISREG(info.st_mode)) {
            const std::size_t slash = root.rfind('/');
            tree.files.push_back({root, slash == std::string::npos ? root : root.substr(slash + 1),
                                  static_cast<std::uint64_t>(info.st_size)});
            tree.total_bytes += static_cast<std::uint64_t>(info.st_size);
        } else {
            throw std::runtime_error("'" + root + "' is neither a directory nor a file");
        }
    }
    return tree;
}

}  // namespace artifacts::tools
