#include "put_pipeline.h"

#include <stdexcept>

#include "../codec/digest.h"
#include "../policy/refusal.h"
#include "../policy/upload_policy.h"
#include "background_observer.h"
#include "body_checks.h"
#include "compressor.h"
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

// What a PUT's chain measured: the body as the client sent it (the reply's size and
// SHA-256, which the client can check) and as the store receives it (what it commits).
struct Measured {
    const BodyDigest& sent;
    const BodyDigest& stored;
};

// The chain of a PUT: the checks of what the client sent (its gzip stream, the size limit),
// then the observers of what was sent (its digest, checked against X-Artifact-Sha256, and
// the location's processors, as long as they only look), beside the request once the body
// passes kInlineBytes; the location's other processors; the compression of a plain body
// when the location asks for it; then the quota kept on what the store receives, and that
// measured. Without compression what is sent is what is stored: one digest measures both.
Measured build_chain(ProcessorChain& chain, PutRequest& request, std::optional<LedgerUsage> usage) {
    const bool compress = request.compress && !request.gzip;
    if (request.gzip) {
        chain.add(std::make_unique<GzipBodyCheck>());
    }
    chain.add(std::make_unique<SizeLimit>(request.max_file_size));
    auto digest = std::make_unique<BodyDigest>(request.sha256);
    const BodyDigest& sent = *digest;
    std::vector<std::unique_ptr<Processor>> observers;
    observers.push_back(std::move(digest));
    std::size_t first_other = 0;
    while (first_other < request.processors.size() && request.processors[first_other]->observes_only()) {
        observers.push_back(std::move(request.processors[first_other++]));
    }
    chain.add(std::make_unique<BackgroundObserver>(std::move(observers), kInlineBytes));
    for (std::size_t i = first_other; i < request.processors.size(); ++i) {
        chain.add(std::move(request.processors[i]));
    }
    request.processors.clear();
    if (compress) {
        chain.add(std::make_unique<GzipCompressor>());
    }
    if (usage) {
        chain.add(std::make_unique<QuotaCheck>(*request.claims, *usage));
    }
    const BodyDigest& stored = compress ? chain.add(std::make_unique<BodyDigest>()) : sent;
    return Measured{sent, stored};
}

}  // namespace

LedgerUsage check_ledger_early(Ledger& ledger, const TokenClaims& claims, std::uint64_t bytes) {
    const LedgerUsage usage = ledger.peek(claims.jti);
    if (auto refusal = check_quota(claims, usage, bytes, 0)) {
        throw Refused{*refusal};
    }
    return usage;
}

bool stores_gzip(const PutRequest& request) {
    return request.gzip || request.compress;
}

PutResult put_file(Store& store, PutRequest& request, ByteSource& body) {
    const std::unique_ptr<PutTransaction> put = store.begin_put(PutTarget{request.path, stores_gzip(request)});
    const std::optional<StoredFile>& existing = put->existing();
    ProcessorChain chain(body);
    // A retry of a stored file without overwrite: the body is read, checked and hashed,
    // and stored again nowhere. The same bytes are the answer already given; others, 409.
    // (Compression depends on the bytes alone, so the same plain body compresses to the
    // same object.)
    if (existing && !existing->sha256.empty() && !request.claims->overwrite) {
        check_ledger_early(*request.ledger, *request.claims, 0);
        const Measured measured = build_chain(chain, request, std::nullopt);
        chain.drain();
        if (measured.stored.sha256() != existing->sha256 || existing->gzip != stores_gzip(request)) {
            refuse_other_content(request.path);
        }
        return PutResult{measured.sent.size(), measured.sent.sha256(), false, *chain.notes()};
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
    const Measured measured = build_chain(chain, request, usage);
    // The declared length is of the sent body; the store checks it against what it receives.
    put->write(chain, stores_gzip(request) && !request.gzip ? std::nullopt : request.length);
    if (!chain.finished()) {
        throw std::logic_error("the store stopped reading the body before its end");
    }
    if (request.before_commit) {
        request.before_commit(PutResult{measured.sent.size(), measured.sent.sha256(), true, *chain.notes()},
                              put->mark());
    }
    const PutOutcome outcome = put->commit(measured.stored.size(), measured.stored.sha256());
    return PutResult{measured.sent.size(), measured.sent.sha256(), outcome != PutOutcome::Identical, *chain.notes()};
}

SealResult seal(Store& store, const std::string& scope, std::int64_t now,
                const std::function<void(const SealResult&, const std::optional<CommitMark>&)>& before_commit) {
    const std::unique_ptr<SealTransaction> seal = store.begin_seal(scope);
    MeasuredSink measured(seal->manifest());
    ManifestWriter manifest(measured);
    seal->describe(manifest);
    SealResult result{scope + std::string(kManifestName), measured.size(), measured.sha256(), manifest.logs(),
                      seal->usage()};
    if (before_commit) {
        before_commit(result, seal->mark());
    }
    seal->commit(result.size, result.sha256, now);
    return result;
}

}  // namespace artifacts
