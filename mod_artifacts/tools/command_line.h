// What the command-line tools share: usage errors (exit status 2) and the small files
// that hold a key's secret or a token.
#pragma once

#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "../core/token.h"

namespace artifacts::tools {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The file's content without trailing whitespace, as the module reads key files; nothing
// when it cannot be read.
inline std::optional<std::string> read_trimmed_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    return std::string(key_file_secret(content.str()));
}

}  // namespace artifacts::tools
