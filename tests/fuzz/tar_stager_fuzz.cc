// The tar reader on arbitrary bytes: never a crash, never a file outside the staging
// directory, and after a refusal (or a discard) nothing is left behind.
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "../../mod_artifacts/backends/tar_stager.h"

using namespace artifacts;

namespace {

bool is_empty(const std::string& directory) {
    DIR* stream = opendir(directory.c_str());
    if (stream == nullptr) {
        return false;
    }
    int entries = 0;
    while (const dirent* entry = readdir(stream)) {
        const std::string name = entry->d_name;
        entries += name != "." && name != ".." ? 1 : 0;
    }
    closedir(stream);
    return entries == 0;
}

const std::string& sandbox() {
    static const std::string root = [] {
        char pattern[] = "/dev/shm/tar_stager_fuzz.XXXXXX";
        const char* made = mkdtemp(pattern);
        return std::string(made != nullptr ? made : "");
    }();
    return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& root = sandbox();
    if (root.empty()) {
        std::abort();
    }
    FsStore store(root + "/store");
    mkdir((root + "/store").c_str(), 0755);
    bool given = false;
    const ArchiveSource source = [&]() {
        const std::string_view piece =
            given ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
        given = true;
        return piece;
    };
    const MemberCheck allow = [](std::string_view, std::uint64_t) { return std::optional<Refusal>(); };
    StagedArchive archive = stage_archive(store, "in/", source, allow, 1 << 20, 64);
    if (archive.refusal && (!archive.files.empty() || !is_empty(root + "/store"))) {
        std::abort();
    }
    for (StagedFile& file : archive.files) {
        if (file.directory.rfind("in/", 0) != 0) {
            std::abort();
        }
        discard(store, file);
    }
    store.remove_empty_directories(archive.created_directories);
    if (!is_empty(root + "/store")) {
        std::abort();
    }
    return 0;
}
