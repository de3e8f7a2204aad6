#include "put_pipeline.h"

#include <stdexcept>

#include "../codec/digest.h"
#include "../policy/refusal.h"
#include "../policy/upload_policy.h"
#include "body_checks.h"
#include "processor.h"

namespace artifacts {

namespace {

// Passes the manifest on to the store, counting and hashing it.
class MeasuredSink final : public Sink {
public:
    explicit MeasuredSink(Sink& out) : out_(out) {}
    void write(std::string_view bytes) override {
        size_ += bytes.size();
        sha_.update(bytes);
        out_.write(bytes);
    }
    std::uint64_t size() const { return size_; }
    std::string sha256() { return sha_.hex_digest(); }

private:
    Sink& out_;
    std::uint64_t size_ = 0;
    Sha256 sha_;
};

// The chain of a PUT: the checks of what the client sent (its gzip stream, the size limit),
// the location's observers, then what the store receives measured (and the quota kept) as
// it goes. The digest is the last processor: it is what the store commits.
BodyDigest& build_chain(ProcessorChain& chain, PutRequest& request, std::optional<LedgerUsage> usage) {
    if (request.gzip) {
        chain.add(std::make_unique<GzipBodyCheck>());
    }
    chain.add(std::make_unique<SizeLimit>(request.max_file_size));
    for (auto& processor : request.processors) {
        chain.add(std::move(processor));
    }
    request.processors.clear();
    if (usage) {
        chain.add(std::make_unique<QuotaCheck>(*request.claims, *usage));
    }
    return chain.add(std::make_unique<BodyDigest>(request.sha256));
}

}  // namespace

LedgerUsage check_ledger_early(Ledger& ledger, const TokenClaims& claims, std::uint64_t bytes) {
    const LedgerUsage usage = ledger.peek(claims.jti);
    if (auto refusal = check_quota(claims, usage, bytes, 0)) {
        throw Refused{*refusal};
    }
    return usage;
}

PutResult put_file(Store& store, PutRequest& request, ByteSource& body) {
    const std::unique_ptr<PutTransaction> put = store.begin_put(PutTarget{request.path, request.gzip});
    const std::optional<StoredFile>& existing = put->existing();
    ProcessorChain chain(body);
    // A retry of a stored file without overwrite: the body is read, checked and hashed,
    // and stored again nowhere. The same bytes are the answer already given; others, 409.
    if (existing && !existing->sha256.empty() && !request.claims->overwrite) {
        check_ledger_early(*request.ledger, *request.claims, 0);
        const BodyDigest& digest = build_chain(chain, request, std::nullopt);
        chain.drain();
        if (digest.sha256() != existing->sha256 || existing->gzip != request.gzip) {
            refuse_other_content(request.path);
        }
        return PutResult{existing->size, digest.sha256(), false, chain.notes()};
    }
    // A replacement may be a retry charged nothing: its bytes are not counted on the way.
    std::optional<LedgerUsage> usage;
    if (!request.length || *request.length > kSmallBody) {
        const LedgerUsage seen =
            check_ledger_early(*request.ledger, *request.claims, existing ? 0 : request.length.value_or(0));
        if (!existing) {
            usage = seen;
        }
    }
    const BodyDigest& digest = build_chain(chain, request, usage);
    put->write(chain, request.length);
    if (!chain.finished()) {
        throw std::logic_error("the store stopped reading the body before its end");
    }
    const PutOutcome outcome = put->commit(digest.size(), digest.sha256());
    return PutResult{digest.size(), digest.sha256(), outcome != PutOutcome::Identical, chain.notes()};
}

SealResult seal(Store& store, const std::string& scope, std::int64_t now) {
    const std::unique_ptr<SealTransaction> seal = store.begin_seal(scope);
    MeasuredSink measured(seal->manifest());
    ManifestWriter manifest(measured);
    seal->describe(manifest);
    SealResult result{scope + std::string(kManifestName), measured.size(), measured.sha256()};
    seal->commit(result.size, result.sha256, now);
    return result;
}

}  // namespace artifacts
