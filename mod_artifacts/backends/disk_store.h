// The filesystem behind the Store interface: a PUT is a temporary file in its target
// directory, published by rename under the token's ledger lock (fs_store.h has the
// mechanics: one directory handle at a time, O_NOFOLLOW, fsync, the pending journal).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../core/store/ledger.h"
#include "../core/store/store.h"
#include "../core/token/token.h"
#include "fs_store.h"

namespace artifacts {

// Removes the directories an upload created when it stores nothing after all.
class CreatedDirectories {
public:
    explicit CreatedDirectories(const FsStore& store) : store_(store) {}
    ~CreatedDirectories() {
        if (!kept_) {
            store_.remove_empty_directories(paths);
        }
    }
    CreatedDirectories(const CreatedDirectories&) = delete;
    CreatedDirectories& operator=(const CreatedDirectories&) = delete;
    void keep() { kept_ = true; }
    std::vector<std::string> paths;

private:
    const FsStore& store_;
    bool kept_ = false;
};

// Per file: Absent (new), Identical, Different (replaced).
struct Published {
    std::vector<Existing> before;
};

// Under the token's ledger lock: conflicts (409), quota (413, 410), then publish every file
// or none, and charge the token. An archive's members (`batch`) were written without an
// fsync each: they are made durable with one sync_all() before they are published, and
// their directories with one after. On a throw nothing was published; the staged files
// are still the caller's to discard.
Published publish_all(const FsStore& store, Ledger& ledger, const TokenClaims& claims, std::vector<StagedFile>& files,
                      bool batch);

class DiskStore final : public Store {
public:
    DiskStore(const FsStore& files, Ledger& ledger, const TokenClaims& claims)
        : files_(files), ledger_(ledger), claims_(claims) {}
    // A gzip upload is stored as name.gz and served as name, like a legacy compressed log;
    // the name in the other encoding must not be stored beside it (409 without overwrite).
    std::unique_ptr<PutTransaction> begin_put(const PutTarget& target) override;
    bool make_directory(const std::string& path) override;
    // The manifest is a temporary file beside the old one, published by rename before the
    // token's record says sealed.
    std::unique_ptr<SealTransaction> begin_seal(const std::string& scope) override;
    std::unique_ptr<ArchiveTransaction> begin_archive(const std::string& directory) override;

private:
    const FsStore& files_;
    Ledger& ledger_;
    const TokenClaims& claims_;
};

}  // namespace artifacts
