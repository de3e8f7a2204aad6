// The checks every upload body goes through piece by piece, whichever store receives it:
// the file size limit (413 too_large), the gzip stream of a Content-Encoding: gzip body
// (400 bad_encoding as soon as it is damaged), its SHA-256 against X-Artifact-Sha256 at
// the end (400 checksum_mismatch), and the token's byte quota against the usage seen
// before the body (413 quota_exceeded; the store's commit checks again under the lock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../codec/digest.h"
#include "../codec/gunzip.h"
#include "../store/ledger.h"
#include "../store/store.h"
#include "../token/token.h"

namespace artifacts {

// X-Artifact-Sha256 as sent: nullopt when absent; 400 bad_checksum when not 64 hex digits.
std::optional<std::string> parse_expected_sha256(const char* header);

struct BodyLimits {
    std::uint64_t max_file_size = 0;
    bool gzip = false;                    // the body must be one whole gzip stream
    std::optional<std::string> sha256;    // what the client says the body hashes to
    const TokenClaims* claims = nullptr;  // with `usage`: the byte quota while it arrives
    std::optional<LedgerUsage> usage;     // nullopt: not checked before the commit
};

// A ByteSource that passes another through, checking and hashing every piece; at the end
// (the empty piece) it has verified the whole body, so a store that sees the end may make
// the object. Throws Refused.
class CheckedBody final : public ByteSource {
public:
    CheckedBody(ByteSource& body, BodyLimits limits);
    std::string_view next() override;
    std::uint64_t size() const { return size_; }
    bool finished() const { return finished_; }
    // The body's SHA-256, hex, once finished.
    const std::string& sha256() const { return sha256_; }
    // Reads the rest of the body through the checks (for a body nobody stores).
    void drain();

private:
    void take(std::string_view piece);
    void finish();

    ByteSource& body_;
    BodyLimits limits_;
    std::optional<GzipVerifier> gzip_;
    bool gzip_started_ = false;
    Sha256 sha_;
    std::uint64_t size_ = 0;
    bool finished_ = false;
    std::string sha256_;
};

}  // namespace artifacts
