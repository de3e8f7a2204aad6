#include "disk_store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <optional>
#include <utility>

#include "../core/policy/path_policy.h"
#include "../core/policy/refusal.h"
#include "../core/policy/upload_policy.h"
#include "fs_manifest.h"
#include "tar_stager.h"

namespace artifacts {

Published publish_all(const FsStore& store, Ledger& ledger, const TokenClaims& claims, std::vector<StagedFile>& files,
                      bool batch) {
    const auto entry = ledger.open(claims.jti);
    const LedgerUsage usage = entry->usage();
    Published result;
    std::uint64_t bytes = 0;
    std::uint64_t new_files = 0;
    for (StagedFile& file : files) {
        const Existing existing = inspect_target(store, file);
        if (existing == Existing::Different && !claims.overwrite) {
            refuse_other_content(file.directory + file.name);
        }
        bytes += existing == Existing::Identical ? 0 : file.size;
        new_files += existing == Existing::Absent ? 1 : 0;
    }
    if (auto refusal = check_quota(claims, usage, bytes, new_files)) {
        throw Refused{*refusal};
    }
    bytes = 0;
    new_files = 0;
    // Takes back what this request published when it cannot publish and charge everything.
    const auto unpublish = [&] {
        for (std::size_t j = 0; j < result.before.size(); ++j) {
            if (result.before[j] == Existing::Absent) {
                remove_file(store, files[j].directory, files[j].name);
            }
        }
    };
    try {
        if (batch) {
            sync_all(store);
        }
        for (StagedFile& file : files) {
            const Existing existing = publish(store, file, claims.overwrite, !batch);
            if (existing == Existing::OtherEncoding) {
                refuse(409, "exists",
                       "'" + file.directory + file.other_encoding +
                           "' was stored meanwhile: it holds this file in "
                           "the other encoding (the token has no overwrite)");
            }
            if (existing == Existing::Different && !claims.overwrite) {
                refuse(409, "exists", "'" + file.directory + file.name + "' was stored meanwhile with other content");
            }
            result.before.push_back(existing);
            bytes += existing == Existing::Identical ? 0 : file.size;
            new_files += existing == Existing::Absent ? 1 : 0;
        }
        if (batch) {
            sync_all(store);
        }
        entry->charge(bytes, new_files);
        entry->commit();
    } catch (...) {
        unpublish();
        throw;
    }
    return result;
}

namespace {

class DiskPut final : public PutTransaction {
public:
    DiskPut(const FsStore& files, Ledger& ledger, const TokenClaims& claims, const PutTarget& target)
        : files_(files), ledger_(ledger), claims_(claims), created_(files) {
        SplitPath split = split_path(target.path);
        directory_ = std::move(split.directory);
        const std::string name = std::move(split.name);
        stored_name_ = target.gzip ? name + ".gz" : name;
        other_name_ = target.gzip ? name : name + ".gz";
        if (stored_name_.size() > kMaxNameBytes) {
            refuse(400, "bad_path",
                   "the name is too long to be stored compressed as '" + name + ".gz' (255 bytes at most)");
        }
        // The directory when it exists already: the name checks look there, the body goes there.
        directory_fd_ = files_.open_existing_directory(directory_);
        if (directory_fd_ && has_entry(directory_fd_.get(), stored_name_)) {
            existing_ = StoredFile{};  // compared byte for byte when it is published
        }
        if (!claims_.overwrite && directory_fd_ && has_entry(directory_fd_.get(), other_name_)) {
            refuse(409, "exists", "'" + directory_ + other_name_ + "' already holds this file in the other encoding");
        }
    }

    ~DiskPut() override {
        if (staged_) {
            discard(files_, *staged_);
        }
    }

    const std::optional<StoredFile>& existing() const override { return existing_; }

    void write(ByteSource& body, std::optional<std::uint64_t>) override {
        auto directory = std::make_shared<const UniqueFd>(
            directory_fd_ ? std::move(directory_fd_) : files_.open_directory(directory_, &created_.paths));
        // The pipeline hashes the body as it checks it: the writer need not hash it again.
        FileWriter writer(files_, std::move(directory), directory_, stored_name_, false);
        for (std::string_view piece = body.next(); !piece.empty(); piece = body.next()) {
            writer.write(piece);
        }
        if (const ObjectNotes* notes = body.notes(); notes != nullptr && notes->summary) {
            writer.keep_summary(*notes->summary);
        }
        staged_ = writer.finish();
    }

    std::optional<CommitMark> mark() override { return commit_mark(files_, *staged_); }

    PutOutcome commit(std::uint64_t, const std::string& sha256) override {
        staged_->sha256 = sha256;
        staged_->other_encoding = other_name_;
        std::vector<StagedFile> staged{std::move(*staged_)};
        staged_.reset();
        Published published;
        try {
            published = publish_all(files_, ledger_, claims_, staged, false);
        } catch (...) {
            discard(files_, staged[0]);
            throw;
        }
        created_.keep();
        remove_replaced_other(files_, staged[0]);
        switch (published.before[0]) {
        case Existing::Identical: return PutOutcome::Identical;
        case Existing::Absent: return PutOutcome::Created;
        default: return PutOutcome::Replaced;
        }
    }

private:
    const FsStore& files_;
    Ledger& ledger_;
    const TokenClaims& claims_;
    CreatedDirectories created_;
    std::string directory_;
    std::string stored_name_;
    std::string other_name_;
    UniqueFd directory_fd_;
    std::optional<StoredFile> existing_;
    std::optional<StagedFile> staged_;
};

// Buffers the manifest's small writes into 64 KiB blocks for the file.
class WriterSink final : public Sink {
public:
    explicit WriterSink(FileWriter& writer) : writer_(writer) {}
    void write(std::string_view bytes) override {
        buffer_.append(bytes);
        if (buffer_.size() >= 64 * 1024) {
            flush();
        }
    }
    void flush() {
        writer_.write(buffer_);
        buffer_.clear();
    }

private:
    FileWriter& writer_;
    std::string buffer_;
};

// The token's ledger entry is held from the start, so an upload that finishes meanwhile
// waits and then finds the token sealed (410) instead of missing from the manifest.
class DiskSeal final : public SealTransaction {
public:
    DiskSeal(const FsStore& files, Ledger& ledger, const TokenClaims& claims, const std::string& scope)
        : files_(files), scope_(scope), entry_(ledger.open(claims.jti)), created_(files) {
        if (auto refusal = check_quota(claims, entry_->usage(), 0, 0)) {
            throw Refused{*refusal};
        }
        auto directory = std::make_shared<const UniqueFd>(files_.open_directory(scope_, &created_.paths));
        const std::string name(kManifestName);
        if (struct stat info;
            fstatat(directory->get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(info.st_mode)) {
            refuse(409, "exists",
                   "'" + scope_ + name +
                       "' is not a file (a directory was uploaded under that name), so the manifest cannot be "
                       "written; the token is not sealed");
        }
        writer_.emplace(files_, std::move(directory), scope_, name, false);
        sink_.emplace(*writer_);
    }
    ~DiskSeal() override {
        if (staged_) {
            discard(files_, *staged_);
        }
    }
    void describe(ManifestWriter& manifest) override { write_manifest(files_, scope_, manifest); }
    Sink& manifest() override { return *sink_; }
    LedgerUsage usage() const override { return entry_->usage(); }
    std::optional<CommitMark> mark() override { return commit_mark(files_, stage()); }
    void commit(std::uint64_t, const std::string& sha256, std::int64_t now) override {
        StagedFile staged = std::move(stage());
        staged_.reset();
        staged.sha256 = sha256;
        try {
            publish(files_, staged, true);
        } catch (...) {
            discard(files_, staged);
            throw;
        }
        created_.keep();
        entry_->seal(now);
        entry_->commit();
    }

private:
    // The manifest written whole and durable under its temporary name (once).
    StagedFile& stage() {
        if (!staged_) {
            sink_->flush();
            staged_ = writer_->finish();
        }
        return *staged_;
    }

    const FsStore& files_;
    std::string scope_;
    std::unique_ptr<LedgerEntry> entry_;
    CreatedDirectories created_;
    std::optional<FileWriter> writer_;
    std::optional<WriterSink> sink_;  // destroyed before the writer it writes to
    std::optional<StagedFile> staged_;
};

// Members are staged as temporary files in their target directories and published by
// rename together (publish_all: one sync, then the renames, under the ledger lock).
class DiskArchive final : public ArchiveTransaction {
public:
    DiskArchive(const FsStore& files, Ledger& ledger, const TokenClaims& claims, const std::string& directory)
        : files_(files), ledger_(ledger), claims_(claims), directory_(directory), created_(files) {}
    ~DiskArchive() override {
        for (StagedFile& file : staged_) {
            discard(files_, file);
        }
    }
    bool holds(const std::string& path) override {
        const SplitPath member = split_path(path);
        const UniqueFd parent = files_.open_existing_directory(member.directory);
        return parent && has_entry(parent.get(), member.name);
    }
    void stage(ByteSource& archive, const MemberCheck& check, std::uint64_t max_file_size) override {
        StagedArchive staged = stage_archive(
            files_, directory_, [&archive] { return archive.next(); }, check, max_file_size, kMaxArchiveMembers);
        created_.paths = std::move(staged.created_directories);
        if (staged.refusal) {
            throw Refused{*staged.refusal};
        }
        staged_ = std::move(staged.files);
    }
    std::vector<StoredMember> commit(const ArchiveBeforeCommit& before_commit) override {
        if (before_commit) {
            // Which members are stored already is known under the ledger's lock only: those
            // leave no mark, and what is kept on their marks goes.
            std::vector<ProspectiveMember> members;
            members.reserve(staged_.size());
            for (const StagedFile& file : staged_) {
                members.push_back({file.directory + file.name, file.size, file.sha256, commit_mark(files_, file)});
            }
            before_commit(members);
        }
        const Published published = publish_all(files_, ledger_, claims_, staged_, true);
        created_.keep();
        std::vector<StoredMember> stored;
        stored.reserve(staged_.size());
        for (std::size_t i = 0; i < staged_.size(); ++i) {
            const StagedFile& file = staged_[i];
            stored.push_back(
                {file.directory + file.name, file.size, file.sha256, published.before[i] == Existing::Identical});
        }
        staged_.clear();  // published: nothing of them to discard
        return stored;
    }

private:
    const FsStore& files_;
    Ledger& ledger_;
    const TokenClaims& claims_;
    std::string directory_;
    CreatedDirectories created_;
    std::vector<StagedFile> staged_;  // destroyed (discarded) before the directories made for them
};

}  // namespace

std::unique_ptr<PutTransaction> DiskStore::begin_put(const PutTarget& target) {
    return std::make_unique<DiskPut>(files_, ledger_, claims_, target);
}

bool DiskStore::make_directory(const std::string& path) {
    const auto entry = ledger_.open(claims_.jti);
    const bool exists = static_cast<bool>(files_.open_existing_directory(path));
    if (auto refusal = check_quota(claims_, entry->usage(), 0, exists ? 0 : 1)) {
        throw Refused{*refusal};
    }
    if (exists) {
        return false;
    }
    CreatedDirectories created(files_);
    files_.open_directory(path, &created.paths);
    files_.sync_created(created.paths);
    entry->charge(0, 1);
    entry->commit();
    created.keep();
    return true;
}

std::unique_ptr<SealTransaction> DiskStore::begin_seal(const std::string& scope) {
    return std::make_unique<DiskSeal>(files_, ledger_, claims_, scope);
}

std::unique_ptr<ArchiveTransaction> DiskStore::begin_archive(const std::string& directory) {
    return std::make_unique<DiskArchive>(files_, ledger_, claims_, directory);
}

}  // namespace artifacts
