// The checks every upload body goes through, as processors of its chain (processor.h),
// whichever store receives it: the gzip stream of a Content-Encoding: gzip body (400
// bad_encoding as soon as it is damaged), the file size limit (413 too_large), the digest
// and size of the bytes (400 checksum_mismatch against X-Artifact-Sha256 at the end), and
// the token's byte quota against the usage seen before the body (413 quota_exceeded; the
// store's commit checks again under the lock).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../codec/digest.h"
#include "../codec/gunzip.h"
#include "../store/ledger.h"
#include "../token/token.h"
#include "processor.h"

namespace artifacts {

// X-Artifact-Sha256 as sent: nullopt when absent; 400 bad_checksum when not 64 hex digits.
std::optional<std::string> parse_expected_sha256(const char* header);

// The body must be one whole gzip stream (Content-Encoding: gzip).
class GzipBodyCheck final : public Processor {
public:
    void see(std::string_view piece, Sink& next) override;
    void finish(Sink& next) override;

private:
    GzipVerifier gzip_;
    bool started_ = false;
};

// 413 too_large past `max` bytes.
class SizeLimit final : public Processor {
public:
    explicit SizeLimit(std::uint64_t max) : max_(max) {}
    void see(std::string_view piece, Sink& next) override;

private:
    std::uint64_t max_;
    std::uint64_t size_ = 0;
};

// The size and SHA-256 of the bytes that pass; with `expected`, 400 checksum_mismatch at
// the end when they differ.
class BodyDigest final : public Processor {
public:
    explicit BodyDigest(std::optional<std::string> expected = std::nullopt) : expected_(std::move(expected)) {}
    void see(std::string_view piece, Sink& next) override;
    void finish(Sink& next) override;
    std::uint64_t size() const { return size_; }
    // Hex, once finished.
    const std::string& sha256() const { return sha256_; }
    bool observes_only() const override { return true; }

private:
    std::optional<std::string> expected_;
    Sha256 sha_;
    std::uint64_t size_ = 0;
    std::string sha256_;
};

// The token's byte quota while the bytes arrive, from the usage seen before the body.
class QuotaCheck final : public Processor {
public:
    QuotaCheck(const TokenClaims& claims, LedgerUsage usage) : claims_(claims), usage_(usage) {}
    void see(std::string_view piece, Sink& next) override;

private:
    const TokenClaims& claims_;
    LedgerUsage usage_;
    std::uint64_t size_ = 0;
};

}  // namespace artifacts
