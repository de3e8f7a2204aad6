// The seam between the upload pipeline and where the bytes live. The pipeline
// (upload/put_pipeline.h) decides everything a PUT shares whichever store takes it: the
// token's scope and quotas, the body checks, the idempotent retry, the answer. A store
// decides what genuinely differs: how a name is claimed and looked up, how a new object
// is written so that nobody sees it, and how it is made visible together with the token's
// charge (fsync and rename under the ledger lock on disk; object PUT and one catalogue
// transaction for Swift). Nothing here knows Apache, libcurl or MySQL.
//
// Like mod_dav's repository hooks, the interface is what the pipeline calls, not what a
// backend happens to have: a new store is one class implementing it plus one case where
// the configuration chooses the store (httpd/upload_handler.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../http/sink.h"
#include "../manifest/manifest.h"
#include "../policy/refusal.h"
#include "ledger.h"
#include "log_summary.h"

namespace artifacts {

// What the upload's processors (upload/processor.h) noted about the bytes a store receives,
// for the store to keep with the object.
struct ObjectNotes {
    bool compressed = false;            // the bytes are a plain body gzip-compressed on the way
    std::optional<LogSummary> summary;  // a log's lines, counted as they arrived
};

// A stream of bytes pulled piece by piece; an empty piece is its end. A piece stays valid
// until the next call. Pulled, not pushed, because libcurl pulls what it uploads.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual std::string_view next() = 0;
    // Once the empty piece was returned: what was noted about the bytes (nullptr: nothing).
    virtual const ObjectNotes* notes() const { return nullptr; }
};

// A file a store holds, as far as a PUT of the same name cares.
struct StoredFile {
    std::uint64_t size = 0;
    std::string sha256;  // hex; empty when the store cannot tell it without reading the file
    bool gzip = false;   // stored from a Content-Encoding: gzip body
};

// What a PUT asks a store to store.
struct PutTarget {
    std::string path;   // below the root, a file name, as the client named it
    bool gzip = false;  // the body is Content-Encoding: gzip: stored compressed, served by its name
};

// What is true of a store once a commit happened, and not before: a file at `path` (absolute)
// with this identity, the staged object's, which the publishing rename keeps. Whoever keeps
// records of their own beside the store's (the outbox of events under ArtifactsStateDir)
// finds out with it, after a crash between the two, whether the commit happened.
struct CommitMark {
    std::string path;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
};

// What committing a PUT did to the name.
enum class PutOutcome {
    Created,    // the name was new (or held nothing readable)
    Replaced,   // other content was there and the token may overwrite
    Identical,  // the same bytes were there already: nothing changed, nothing charged
};

// One PUT in a store, from the claim of its name to its commit. Destroying it before
// commit() returns leaves nothing behind: no object, no claim, no charge.
class PutTransaction {
public:
    virtual ~PutTransaction() = default;
    // What the name holds now (nullopt: nothing readable).
    virtual const std::optional<StoredFile>& existing() const = 0;
    // Writes the whole body as an object nobody sees yet. `declared` is the length the
    // client announced. Throws Refused (from the body's checks or the store's own quota
    // keeping) and the store's errors.
    virtual void write(ByteSource& body, std::optional<std::uint64_t> declared) = 0;
    // Makes the object visible and charges the token, as one step under its ledger entry:
    // refused (409, 410, 413) when a concurrent change makes it wrong, with nothing visible.
    virtual PutOutcome commit(std::uint64_t size, const std::string& sha256) = 0;
    // After write(): the mark commit() will leave, for a store that can give one.
    virtual std::optional<CommitMark> mark() { return std::nullopt; }
};

// Decides about one archive member before its bytes are kept: its path below the root and
// its declared size. A refusal rejects the whole archive.
using MemberCheck = std::function<std::optional<Refusal>(std::string_view path, std::uint64_t size)>;

// One member of an archive, stored (`identical`: it was there already, byte for byte).
struct StoredMember {
    std::string path;
    std::uint64_t size = 0;
    std::string sha256;
    bool identical = false;
};

// A member an archive's commit may store, as its events tell of it (ArchiveTransaction).
struct ProspectiveMember {
    std::string path;
    std::uint64_t size = 0;
    std::string sha256;
    std::optional<CommitMark> mark;
};
using ArchiveBeforeCommit = std::function<void(const std::vector<ProspectiveMember>& members)>;

// A ?extract in a store: the archive's members are kept where nobody sees them, checked
// whole, then made visible together with the token's charge, or not at all. Destroying it
// before commit() returns leaves nothing behind.
class ArchiveTransaction {
public:
    virtual ~ArchiveTransaction() = default;
    // Whether a file is stored at `path` now (a member there is not a new file of the token).
    virtual bool holds(const std::string& path) = 0;
    // Reads the tar or tar.gz stream `archive` whole, asking `check` about each member, and
    // keeps its regular files unseen. Throws Refused (400 bad_archive, a check's refusal,
    // 413 too_large) with nothing kept.
    virtual void stage(ByteSource& archive, const MemberCheck& check, std::uint64_t max_file_size) = 0;
    // Publishes every member and charges the token, as one step; refused (409, 410, 413)
    // with nothing visible when that is no longer possible. `before_commit`, when given, is
    // called just before that step with the members it may make new (a store that knows
    // which are stored already leaves those out) and their marks (PutTransaction::mark).
    virtual std::vector<StoredMember> commit(const ArchiveBeforeCommit& before_commit) = 0;
};

// A ?seal in a store: from holding the token's ledger entry to the seal. The manifest of
// what the scope holds is written into the scope and the token closed as one step, so every
// upload that succeeded is in the manifest and none succeeds after it. Destroying it before
// commit() returns leaves the token open and the earlier manifest (if any) in place.
class SealTransaction {
public:
    virtual ~SealTransaction() = default;
    // Writes the manifest of what the scope holds now (this manifest's own name excluded)
    // into `manifest`, finish() included.
    virtual void describe(ManifestWriter& manifest) = 0;
    // Where the manifest's bytes go: an object nobody sees before commit().
    virtual Sink& manifest() = 0;
    // What the token has stored, as its held ledger entry says (no upload changes it now).
    virtual LedgerUsage usage() const = 0;
    // Publishes the manifest in place of an earlier one and seals the token at `now`.
    virtual void commit(std::uint64_t size, const std::string& sha256, std::int64_t now) = 0;
    // After describe(): the mark commit() will leave, for a store that can give one.
    virtual std::optional<CommitMark> mark() { return std::nullopt; }
};

class Store {
public:
    virtual ~Store() = default;
    // Claims `target` (when the store keeps claims) and looks at what is there. Throws
    // Refused when the store cannot take this name (409: the other encoding is stored).
    virtual std::unique_ptr<PutTransaction> begin_put(const PutTarget& target) = 0;
    // Makes directory `path` ("a/b/"), counted as one new file of the token. Returns false
    // when it was there already. Throws Refused (409 not_a_directory, 410, 413).
    virtual bool make_directory(const std::string& path) = 0;
    // Holds the token's ledger entry until the seal is committed or abandoned (410 when the
    // token is sealed already) and claims `scope` + kManifestName (409 when a directory has
    // that name).
    virtual std::unique_ptr<SealTransaction> begin_seal(const std::string& scope) = 0;
    // An archive to unpack below `directory` ("a/b/").
    virtual std::unique_ptr<ArchiveTransaction> begin_archive(const std::string& directory) = 0;
};

}  // namespace artifacts
