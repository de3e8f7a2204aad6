// Kinds of artifact (ArtifactsKind): a name and the file-name globs it covers. A token
// lists the kinds it may write; a file is allowed when one of them matches its name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace artifacts {

struct Kind {
    std::string name;
    std::vector<std::string> patterns;  // shell globs on the last path segment
};

class KindTable {
public:
    // Adds patterns to `name` (a repeated ArtifactsKind line extends the kind).
    void add(std::string_view name, std::string_view pattern);
    bool knows(std::string_view name) const;
    // The first of `allowed` (kind names from a token) whose patterns match `file_name`;
    // nothing when none does. Names this table does not know match nothing.
    const Kind* matching_kind(const std::vector<std::string>& allowed, std::string_view file_name) const;
    const std::vector<Kind>& kinds() const { return kinds_; }

private:
    std::vector<Kind> kinds_;
};

}  // namespace artifacts
