#include "put_pipeline.h"

#include <stdexcept>

#include "../codec/digest.h"
#include "../policy/refusal.h"
#include "../policy/upload_policy.h"
#include "body_checks.h"

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

BodyLimits limits_for(const PutRequest& request) {
    return BodyLimits{request.max_file_size, request.gzip, request.sha256, request.claims, std::nullopt};
}

}  // namespace

LedgerUsage check_ledger_early(Ledger& ledger, const TokenClaims& claims, std::uint64_t bytes) {
    const LedgerUsage usage = ledger.peek(claims.jti);
    if (auto refusal = check_quota(claims, usage, bytes, 0)) {
        throw Refused{*refusal};
    }
    return usage;
}

PutResult put_file(Store& store, const PutRequest& request, ByteSource& body) {
    const std::unique_ptr<PutTransaction> put = store.begin_put(PutTarget{request.path, request.gzip});
    const std::optional<StoredFile>& existing = put->existing();
    BodyLimits limits = limits_for(request);
    // A retry of a stored file without overwrite: the body is read, checked and hashed,
    // and stored again nowhere. The same bytes are the answer already given; others, 409.
    if (existing && !existing->sha256.empty() && !request.claims->overwrite) {
        check_ledger_early(*request.ledger, *request.claims, 0);
        CheckedBody checked(body, std::move(limits));
        checked.drain();
        if (checked.sha256() != existing->sha256 || existing->gzip != request.gzip) {
            refuse_other_content(request.path);
        }
        return PutResult{existing->size, checked.sha256(), false};
    }
    // A replacement may be a retry charged nothing: its bytes are not counted on the way.
    if (!request.length || *request.length > kSmallBody) {
        const LedgerUsage usage =
            check_ledger_early(*request.ledger, *request.claims, existing ? 0 : request.length.value_or(0));
        if (!existing) {
            limits.usage = usage;
        }
    }
    CheckedBody checked(body, std::move(limits));
    put->write(checked, request.length);
    if (!checked.finished()) {
        throw std::logic_error("the store stopped reading the body before its end");
    }
    const PutOutcome outcome = put->commit(checked.size(), checked.sha256());
    return PutResult{checked.size(), checked.sha256(), outcome != PutOutcome::Identical};
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
