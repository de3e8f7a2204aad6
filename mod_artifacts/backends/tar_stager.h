// Stages the regular files of a tar or tar.gz stream (libarchive) as temporary files
// below a directory of the store. Nothing is published here: the caller checks the
// whole archive (kinds, quota, conflicts) and then publishes all or discards all.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../core/policy/refusal.h"
#include "../core/store/store.h"
#include "fs_store.h"

namespace artifacts {

// Hands out the next piece of the archive's bytes; empty at the end. Throws to abort
// (a client that went away).
using ArchiveSource = std::function<std::string_view()>;

struct StagedArchive {
    std::vector<StagedFile> files;
    std::vector<std::string> created_directories;
    std::optional<Refusal> refusal;  // set when the archive is refused; files are then already discarded
};

// Members are taken relative to `directory` (relative to the root, "" or ending in "/").
// A leading "./" of a member (as `tar -C dir .` writes) is allowed; absolute names, ".."
// and every other unclean path, links, devices, FIFOs and names repeated in the archive
// are refused (400 bad_archive). At most `max_members` files are accepted. Throws
// StoreError for the store's own failures.
StagedArchive stage_archive(const FsStore& store, std::string_view directory, const ArchiveSource& source,
                            const MemberCheck& check, std::uint64_t max_file_size, std::size_t max_members);

}  // namespace artifacts
