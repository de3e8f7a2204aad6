// Walks a directory of the filesystem store into a Zuul manifest (the ?seal request).
#pragma once

#include <string_view>

#include "../core/manifest/manifest.h"
#include "fs_store.h"

namespace artifacts {

// The manifest of everything below `relative_directory` (ending with "/" or ""), skipping
// symbolic links, temporary upload files and a zuul-manifest.json at the top itself.
// Throws StoreError.
void write_manifest(const FsStore& store, std::string_view relative_directory, ManifestWriter& manifest);

}  // namespace artifacts
