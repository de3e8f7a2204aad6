// Path policy invariants on arbitrary bytes: an accepted path never has a segment that
// could leave the root, and the strict check is never weaker than the serving check.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../../mod_artifacts/core/policy/path_policy.h"
#include "../../mod_artifacts/core/codec/utf8.h"

using namespace artifacts;

namespace {

bool has_escaping_segment(std::string_view path) {
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::string_view segment = path.substr(start, slash - start);
        if (segment == "." || segment == "..") {
            return true;
        }
        if (slash == std::string_view::npos) {
            return false;
        }
        start = slash + 1;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view path(reinterpret_cast<const char*>(data), size);
    const PathProblem strict = check_relative_path(path);
    const PathProblem served = check_served_path(path);
    if (strict == PathProblem::None) {
        if (has_escaping_segment(path) || path.find('\0') != std::string_view::npos || path.find('\\') != path.npos ||
            (!path.empty() && path[0] == '/') || !utf8::is_valid(path) || path.find("//") != path.npos) {
            std::abort();
        }
        if (served != PathProblem::None) {
            std::abort();
        }
    }
    if (served == PathProblem::None && (has_escaping_segment(path) || path.find('\0') != path.npos)) {
        std::abort();
    }
    if (describe(strict).empty()) {
        std::abort();
    }
    const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
    if (const auto below = path_below_location(path.substr(split), path.substr(0, split))) {
        if (below->size() > size) {
            std::abort();
        }
    }
    return 0;
}
