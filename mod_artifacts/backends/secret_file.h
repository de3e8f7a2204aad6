// The small files that hold a secret (a key, a password, a token): their content without
// trailing whitespace (key_file_secret). The one way every secret file is read: token keys
// at start-up, the catalogue's and Swift's passwords, the tools' token and key files.
#pragma once

#include <cstddef>
#include <fstream>
#include <optional>
#include <string>

#include "../core/token/token.h"

namespace artifacts {

// A secret file holds a line, not a document.
constexpr std::size_t kMaxSecretFileBytes = 4096;

// Nothing when the file cannot be read or holds more than kMaxSecretFileBytes.
inline std::optional<std::string> read_secret_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::string content(kMaxSecretFileBytes + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    if (in.bad() || static_cast<std::size_t>(in.gcount()) > kMaxSecretFileBytes) {
        return std::nullopt;
    }
    content.resize(static_cast<std::size_t>(in.gcount()));
    return std::string(key_file_secret(content));
}

}  // namespace artifacts
