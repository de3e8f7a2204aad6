// What the filesystem tests look at: the names a directory holds.
#pragma once

#include <dirent.h>

#include <set>
#include <string>

namespace artifacts::testing {

// The entries of `directory` (without "." and ".."); empty when it cannot be read.
inline std::set<std::string> names_in(const std::string& directory) {
    std::set<std::string> names;
    if (DIR* stream = opendir(directory.c_str())) {
        while (const dirent* entry = readdir(stream)) {
            const std::string name = entry->d_name;
            if (name != "." && name != "..") {
                names.insert(name);
            }
        }
        closedir(stream);
    }
    return names;
}

}  // namespace artifacts::testing
