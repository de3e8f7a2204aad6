// Reads one directory of the filesystem store into index entries, in one pass.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/index/index_model.h"

namespace artifacts {

using NameFilter = std::function<bool(std::string_view name)>;

// Appends the entries of `directory`, allocated from `out`'s memory resource, for which `hide` is false (temporary
// upload files are always hidden). Symbolic links are listed as what they point to; a dangling one is left out. Returns
// 0 or an errno value from opening the directory.
// Regular files for which `summarised` is true get the log summary kept with them, if any.
int read_directory(const std::string& directory, const NameFilter& hide, IndexEntries& out,
                   const NameFilter& summarised = nullptr);

}  // namespace artifacts
