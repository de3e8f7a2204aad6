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

CheckedBody::CheckedBody(ByteSource& body, BodyLimits limits) : body_(body), limits_(std::move(limits)) {
    if (limits_.gzip) {
        gzip_.emplace();
    }
}

std::string_view CheckedBody::next() {
    if (finished_) {
        return {};
    }
    const std::string_view piece = body_.next();
    if (piece.empty()) {
        finish();
        return {};
    }
    take(piece);
    return piece;
}

void CheckedBody::drain() {
    while (!next().empty()) {
    }
}

void CheckedBody::take(std::string_view piece) {
    if (gzip_) {
        if (!gzip_started_ && !may_start_gzip(piece)) {
            refuse(400, "bad_encoding", "the body says Content-Encoding: gzip but is not gzip data");
        }
        gzip_started_ = true;
        try {
            gzip_->feed(piece);
        } catch (const GzipError& error) {
            refuse_bad_gzip(error);
        }
    }
    if (size_ + piece.size() > limits_.max_file_size) {
        throw Refused{file_too_large(limits_.max_file_size)};
    }
    size_ += piece.size();
    if (limits_.usage && limits_.claims != nullptr) {
        if (auto refusal = check_quota(*limits_.claims, *limits_.usage, size_, 0)) {
            throw Refused{*refusal};
        }
    }
    sha_.update(piece);
}

void CheckedBody::finish() {
    if (gzip_) {
        try {
            gzip_->finish();
        } catch (const GzipError& error) {
            refuse_bad_gzip(error);
        }
    }
    sha256_ = sha_.hex_digest();
    if (limits_.sha256 && strcasecmp(limits_.sha256->c_str(), sha256_.c_str()) != 0) {
        refuse(400, "checksum_mismatch", "the body's SHA-256 is " + sha256_ + ", not the X-Artifact-Sha256 sent");
    }
    finished_ = true;
}

}  // namespace artifacts
