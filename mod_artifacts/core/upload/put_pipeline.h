// The upload operations written once for every store. A PUT of one file: the body checks,
// the early look at the token's ledger, the idempotent retry of a stored file, and the
// store's commit. A seal: the manifest, measured and hashed on its way into the store, and
// the store's commit. What remains for the caller is the request and the answer.
#pragma once

#include <cstdint>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../store/ledger.h"
#include "../store/store.h"
#include "../token/token.h"
#include "processor.h"

namespace artifacts {

struct PutResult {
    // Of the body as sent (what the client can check): with compression, the store holds
    // other bytes (their size and digest are in the store's records).
    std::uint64_t size = 0;
    std::string sha256;
    bool created = false;  // 201 with Location; false: the same bytes were stored already (200)
    ObjectNotes notes;     // what the processors noted
};

struct PutRequest {
    const TokenClaims* claims = nullptr;
    Ledger* ledger = nullptr;             // for the early look; the store's commit charges it
    std::string path;                     // checked against the scope and kinds already
    bool gzip = false;                    // Content-Encoding: gzip
    std::optional<std::uint64_t> length;  // declared, checked against the size limit already
    std::uint64_t max_file_size = 0;
    std::optional<std::string> sha256;  // X-Artifact-Sha256
    bool compress = false;              // ArtifactsCompress names the file: a plain body is stored gzip
    // The location's processors for this file, in order, after the checks of what was sent
    // and before the bytes are measured for the store (processor.h); the leading ones that
    // only look run with the body's digest, beside the request for a long body. put_file
    // takes them.
    std::vector<std::unique_ptr<Processor>> processors;
    // Called once the body is written and checked, just before the store's commit, with what
    // the answer will say if the commit makes a new file: what the caller wants committed
    // with it (the events of ArtifactsNotify) is prepared here, with the store's mark of the
    // commit (store.h) when it gives one.
    std::function<void(const PutResult& prospective, const std::optional<CommitMark>& mark)> before_commit;
};

// The early look at the token's ledger, before a body is read: the usage seen, or refused
// (410 sealed, 413 when `bytes` more would pass the quota). Without the lock: the store's
// commit checks again under it.
LedgerUsage check_ledger_early(Ledger& ledger, const TokenClaims& claims, std::uint64_t bytes);

// A body's digest and the location's observing processors see its first kInlineBytes in
// the request's thread, and the rest on a thread beside it (background_observer.h).
constexpr std::uint64_t kInlineBytes = 4 << 20;

// Bodies up to this size are read before the ledger is first consulted: reading them
// costs less than the look (the commit checks the quota under the lock in any case).
constexpr std::uint64_t kSmallBody = 64 * 1024;

// Stores `body` at `request.path` in `store`. Throws Refused, LedgerUnavailable and the
// store's own errors; whatever it throws, nothing of this PUT stays in the store.
PutResult put_file(Store& store, PutRequest& request, ByteSource& body);

struct SealResult {
    std::string path;  // scope + kManifestName
    std::uint64_t size = 0;
    std::string sha256;
    ScopeSummary logs;  // the summaries of the scope's logs, added up
    LedgerUsage usage;  // what the token stored
};

// Seals the token whose scope is `scope`, writing the scope's manifest first. Throws
// Refused (410 sealed already, 409 the manifest's name is a directory), LedgerUnavailable
// and the store's errors; whatever it throws, the token stays open.
// `before_commit` is called with the result once the manifest is written, just before the
// store's commit (as PutRequest::before_commit).
SealResult seal(
    Store& store, const std::string& scope, std::int64_t now,
    const std::function<void(const SealResult&, const std::optional<CommitMark>&)>& before_commit = nullptr);

}  // namespace artifacts
