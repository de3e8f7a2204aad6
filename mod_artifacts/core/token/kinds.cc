#include "kinds.h"

#include <fnmatch.h>

#include <algorithm>

namespace artifacts {

void KindTable::add(std::string_view name, std::string_view pattern) {
    auto kind = std::find_if(kinds_.begin(), kinds_.end(), [&](const Kind& k) { return k.name == name; });
    if (kind == kinds_.end()) {
        kinds_.push_back(Kind{std::string(name), {}});
        kind = kinds_.end() - 1;
    }
    kind->patterns.emplace_back(pattern);
}

bool KindTable::knows(std::string_view name) const {
    return std::any_of(kinds_.begin(), kinds_.end(), [&](const Kind& k) { return k.name == name; });
}

const Kind* KindTable::matching_kind(const std::vector<std::string>& allowed, std::string_view file_name) const {
    const std::string name(file_name);
    for (const std::string& wanted : allowed) {
        for (const Kind& kind : kinds_) {
            if (kind.name != wanted) {
                continue;
            }
            for (const std::string& pattern : kind.patterns) {
                if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) {
                    return &kind;
                }
            }
        }
    }
    return nullptr;
}

}  // namespace artifacts
