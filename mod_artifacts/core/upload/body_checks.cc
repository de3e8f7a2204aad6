#include "body_checks.h"

#include <strings.h>

#include <utility>

#include "../policy/refusal.h"
#include "../policy/upload_policy.h"

namespace artifacts {

namespace {

[[noreturn]] void refuse_bad_gzip(const GzipError& error) {
    refuse(400, "bad_encoding", std::string("the body says Content-Encoding: gzip but ") + error.what());
}

}  // namespace

std::optional<std::string> parse_expected_sha256(const char* header) {
    if (header == nullptr) {
        return std::nullopt;
    }
    if (!is_sha256_hex(header)) {
        refuse(400, "bad_checksum", "X-Artifact-Sha256 must be 64 hex digits");
    }
    return std::string(header);
}

void GzipBodyCheck::see(std::string_view piece, Sink& next) {
    if (!started_ && !may_start_gzip(piece)) {
        refuse(400, "bad_encoding", "the body says Content-Encoding: gzip but is not gzip data");
    }
    started_ = true;
    try {
        gzip_.feed(piece);
    } catch (const GzipError& error) {
        refuse_bad_gzip(error);
    }
    next.write(piece);
}

void GzipBodyCheck::finish(Sink&) {
    try {
        gzip_.finish();
    } catch (const GzipError& error) {
        refuse_bad_gzip(error);
    }
}

void SizeLimit::see(std::string_view piece, Sink& next) {
    if (size_ + piece.size() > max_) {
        throw Refused{file_too_large(max_)};
    }
    size_ += piece.size();
    next.write(piece);
}

void BodyDigest::see(std::string_view piece, Sink& next) {
    size_ += piece.size();
    sha_.update(piece);
    next.write(piece);
}

void BodyDigest::finish(Sink&) {
    sha256_ = sha_.hex_digest();
    if (expected_ && strcasecmp(expected_->c_str(), sha256_.c_str()) != 0) {
        refuse(400, "checksum_mismatch", "the body's SHA-256 is " + sha256_ + ", not the X-Artifact-Sha256 sent");
    }
}

void QuotaCheck::see(std::string_view piece, Sink& next) {
    size_ += piece.size();
    if (auto refusal = check_quota(claims_, usage_, size_, 0)) {
        throw Refused{*refusal};
    }
    next.write(piece);
}

}  // namespace artifacts
