// The files artifacts-upload sends: every regular file below the given directories, with
// its path relative to the directory it was found in. A symbolic link to a regular file
// inside the same tree is sent as that file's bytes under the link's name (as zuul-jobs'
// uploaders do); links that leave the tree, dangle or name a directory are skipped (the
// server stores no links), so are other special files. A directory with nothing to send
// below it is sent as itself (a PUT of "dir/"), so the tree keeps it, as Zuul's manifest does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace artifacts::tools {

struct LocalFile {
    std::string path;      // on this machine
    std::string relative;  // below the upload URL, "/"-separated; ends with '/' for a directory
    std::uint64_t size = 0;
    bool directory = false;  // an empty directory: made, not sent
};

struct Tree {
    std::vector<LocalFile> files;
    std::vector<std::string> skipped;  // links not followed and special files, for a warning
    std::uint64_t total_bytes = 0;
};

// A directory contributes its contents; a file contributes itself under its own name.
// Throws std::runtime_error when a root cannot be read.
Tree collect_tree(const std::vector<std::string>& roots);

}  // namespace artifacts::tools
