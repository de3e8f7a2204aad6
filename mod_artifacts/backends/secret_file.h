// The small files that hold a secret (a key, a password, a token): their content without
// trailing whitespace, as the module reads key files (key_file_secret).
#pragma once

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "../core/token.h"

namespace artifacts {

// Nothing when the file cannot be read.
inline std::optional<std::string> read_secret_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    return std::string(key_file_secret(content.str()));
}

}  // namespace artifacts
