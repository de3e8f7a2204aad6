// "key=value key2='value two'" settings, as ArtifactsCatalogue takes them (libpq's
// conninfo syntax: single quotes around a value with spaces; a backslash inside them
// escapes the next character).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artifacts {

struct KeyValues {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::string error;  // empty when the text parsed

    explicit operator bool() const { return error.empty(); }
    // The value of `key`, or nullptr.
    const std::string* find(std::string_view key) const;
};

KeyValues parse_key_values(std::string_view text);

}  // namespace artifacts
