// POST dir/?extract with ArtifactsStore swift: the archive is staged member by member
// under ArtifactsStateDir/staging (never in the served tree), checked whole, and only
// then sent to Swift one object at a time; the rows of every member are written in one
// transaction, so an archive is visible completely or not at all.
#include <apr_strings.h>
#include <fcntl.h>
#include <http_protocol.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../backends/catalogue_outbox.h"
#include "../backends/fs_store.h"
#include "../backends/pending_journal.h"
#include "../backends/tar_stager.h"
#include "../backends/unique_fd.h"
#include "../core/http/content_type.h"
#include "../core/codec/escape.h"
#include "../core/policy/upload_policy.h"
#include "body_reader.h"
#include "swift_publish.h"
#include "upload_reply.h"
#include "upload_request.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// Staged files and the directories made for them go when the request ends.
class Staging {
public:
    Staging(const FsStore& store) : store_(store) {}
    ~Staging() {
        for (StagedFile& file : files) {
            discard(store_, file);
        }
        store_.remove_empty_directories(directories);
    }
    std::vector<StagedFile> files;
    std::vector<std::string> directories;

private:
    const FsStore& store_;
};

struct Member {
    StagedFile* file;
    std::string path;
    std::optional<ArtifactRecord> replaced;  // the row an overwrite replaces
    bool identical = false;                  // the same bytes are stored already: nothing to send
};

void send_member(SwiftClient& swift, const FsStore& staging, const Member& member, const ObjectPlace& place,
                 const HttpHeaders& headers, UploadClaims& claims, std::string& etag) {
    const std::string staged = staging.root() + "/" + member.file->directory + member.file->temporary_name;
    const UniqueFd fd(::open(staged.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        throw StoreError(StoreError::Kind::Io, errno, "cannot reopen a staged member: " + std::string(strerror(errno)));
    }
    etag = swift.put(
        place.container, place.object, headers,
        [&](char* buffer, std::size_t capacity) -> std::size_t {
            claims.keep_alive();
            for (;;) {
                const ssize_t got = ::read(fd.get(), buffer, capacity);
                if (got >= 0) {
                    return static_cast<std::size_t>(got);
                }
                if (errno != EINTR) {
                    throw StoreError(StoreError::Kind::Io, errno, "cannot read a staged member");
                }
            }
        },
        static_cast<std::int64_t>(member.file->size));
}

// Staged in ArtifactsStateDir/staging, sent to Swift only once the whole archive checked out.
class SwiftArchive final : public ArchiveTransaction {
public:
    SwiftArchive(UploadRequest& upload, const StorageConfig& storage, const char* state_dir,
                 const std::string& directory)
        : upload_(upload),
          storage_(storage),
          catalogue_(*storage.catalogue),
          now_(apr_time_sec(upload.r->request_time)),
          directory_(directory),
          journal_(std::string(state_dir) + "/" + kPendingDirectory),
          staging_store_(staging_root(state_dir), &journal_, false),
          staged_(staging_store_) {}

    bool holds(const std::string& path) override {
        return catalogue_call([&] { return catalogue_.find(path, now_); }).has_value();
    }

    void stage(ByteSource& archive, const MemberCheck& check, std::uint64_t max_file_size) override {
        StagedArchive staged = stage_archive(
            staging_store_, directory_, [&archive] { return archive.next(); }, check, max_file_size,
            kMaxArchiveMembers);
        staged_.files = std::move(staged.files);
        staged_.directories = std::move(staged.created_directories);
        if (staged.refusal) {
            throw Refused{*staged.refusal};
        }
    }

    std::vector<StoredMember> commit(const ArchiveBeforeCommit& before_commit) override;

private:
    static std::string staging_root(const char* state_dir) {
        std::string root = std::string(state_dir) + "/" + kStagingDirectory;
        if (mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
            throw StoreError(StoreError::Kind::Io, errno, "cannot create " + root);
        }
        return root;
    }

    UploadRequest& upload_;
    const StorageConfig& storage_;
    Catalogue& catalogue_;
    std::int64_t now_;
    std::string directory_;
    PendingJournal journal_;
    FsStore staging_store_;
    Staging staged_;
};

std::vector<StoredMember> SwiftArchive::commit(const ArchiveBeforeCommit& before_commit) {
    request_rec* r = upload_.r;
    SwiftClient& swift = *storage_.swift;
    MySqlLedger ledger(catalogue_.pool(), token_facts(upload_.claims));
    UploadClaims claims(catalogue_, upload_, ledger);
    std::vector<Member> members;
    std::uint64_t bytes = 0;
    std::uint64_t new_files = 0;
    for (StagedFile& file : staged_.files) {
        Member member{&file, file.directory + file.name, std::nullopt, false};
        // Claimed before the lookup, so what it finds holds until the commit.
        claims.claim(member.path);
        claims.keep_alive();
        const std::optional<ArtifactRecord> existing = existing_file(catalogue_, member.path, now_);
        if (existing) {
            // Only bytes that can be read are confirmed: a row whose object is gone is replaced.
            member.identical = existing->sha256 == file.sha256 && existing->content_encoding.empty() &&
                               object_exists(swift, *existing);
            if (!member.identical) {
                member.replaced = existing;
            }
            if (member.replaced && existing->sha256 != file.sha256 && !upload_.claims.overwrite) {
                refuse_other_content(member.path);
            }
        }
        bytes += member.identical ? 0 : file.size;
        new_files += existing ? 0 : 1;
        members.push_back(std::move(member));
    }
    claims.reserve(bytes, new_files, true);
    std::vector<UnpublishedObject> unpublished;
    std::vector<ArtifactRecord> records;
    for (const Member& member : members) {
        if (member.identical) {
            continue;
        }
        const ObjectPlace place = place_for(storage_, member.path, member.replaced ? &*member.replaced : nullptr);
        if (claims.took_over()) {
            remove_leftover(swift, r, place.container, place.object);
        }
        const ContentType type = content_type_for(member.file->name);
        const std::string_view content_type = type.encoding.empty() ? type.media_type : "application/gzip";
        std::string etag;
        send_member(swift, staging_store_, member, place, object_headers(storage_, content_type, false), claims, etag);
        unpublished.emplace_back(swift, r, claims).stored(place.container, place.object);
        records.push_back(record_for(upload_, storage_, member.path, place.container, member.file->size,
                                     member.file->sha256, etag, content_type, false));
    }
    if (before_commit) {
        std::vector<ProspectiveMember> prospective;
        for (const Member& member : members) {
            if (!member.identical) {
                prospective.push_back({member.path, member.file->size, member.file->sha256, std::nullopt});
            }
        }
        before_commit(prospective);
    }
    publish(
        ledger, claims, upload_.claims.jti,
        [&](MySqlLedgerEntry& entry) {
            if (auto refusal = check_quota(upload_.claims, entry.usage(), 0, 0)) {
                throw Refused{*refusal};  // sealed while the archive arrived
            }
            claims.settle(entry, bytes, new_files);
            for (const ArtifactRecord& record : records) {
                catalogue_.record(entry.connection(), record);
            }
            insert_outbox(entry.connection(), upload_.events);  // the members' events, with them
        },
        [&](MySqlConnection& connection) { return records.empty() || row_is(connection, records.front()); });
    upload_.events_committed = true;
    for (UnpublishedObject& object : unpublished) {
        object.published();
    }
    for (const Member& member : members) {
        if (member.replaced) {
            delete_replaced(swift, r, *member.replaced);
        }
    }
    std::vector<StoredMember> stored;
    stored.reserve(members.size());
    for (const Member& member : members) {
        stored.push_back({member.path, member.file->size, member.file->sha256, member.identical});
    }
    return stored;
}

}  // namespace

std::unique_ptr<ArchiveTransaction> swift_archive(UploadRequest& upload, const StorageConfig& storage,
                                                  const char* state_dir, const std::string& directory) {
    return std::make_unique<SwiftArchive>(upload, storage, state_dir, directory);
}

}  // namespace artifacts::httpd
