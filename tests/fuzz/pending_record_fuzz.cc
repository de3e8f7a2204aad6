// The pending-record parser on arbitrary bytes: the records are written by the httpd user,
// and the sweep must never be steered to anything but a temporary file of the module's
// own pattern, in a clean directory below an absolute root.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../../mod_artifacts/backends/pending_journal.h"
#include "../../mod_artifacts/core/index/index_model.h"
#include "../../mod_artifacts/core/policy/path_policy.h"

using namespace artifacts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto entry = parse_pending_line(line);
    if (!entry) {
        return 0;
    }
    const bool temporary =
        entry->name.size() == kTemporaryFilePrefix.size() + 16 &&
        entry->name.compare(0, kTemporaryFilePrefix.size(), kTemporaryFilePrefix) == 0 &&
        entry->name.find_first_not_of("0123456789abcdef", kTemporaryFilePrefix.size()) == std::string_view::npos;
    const bool clean_directory =
        entry->directory.empty() ||
        (entry->directory.back() == '/' && check_relative_path(entry->directory) == PathProblem::None);
    const bool absolute_root = !entry->root.empty() && entry->root[0] == '/' &&
                               check_served_path(std::string_view(entry->root).substr(1)) == PathProblem::None;
    if (!temporary || !clean_directory || !absolute_root ||
        entry->root.size() + entry->directory.size() + entry->name.size() + 2 != line.size()) {
        std::abort();
    }
    return 0;
}
