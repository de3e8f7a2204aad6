#include "upload_policy.h"

#include <string>

#include "../token/cidr.h"

namespace artifacts {

namespace {

std::string_view last_segment(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool inside_scope(const TokenClaims& claims, std::string_view relative_path) {
    return relative_path.size() >= claims.scope.size() && relative_path.substr(0, claims.scope.size()) == claims.scope;
}

Refusal out_of_scope(const TokenClaims& claims, std::string_view relative_path) {
    return {403, "out_of_scope",
            "'" + std::string(relative_path) + "' is outside the token's scope '" + claims.scope + "'"};
}

}  // namespace

std::optional<Refusal> check_client_address(const TokenClaims& claims, std::string_view client_address) {
    if (claims.ip.empty()) {
        return std::nullopt;
    }
    for (const std::string& range : claims.ip) {
        const auto cidr = parse_cidr(range);
        if (cidr && cidr_contains(*cidr, client_address)) {
            return std::nullopt;
        }
    }
    return Refusal{403, "ip_not_allowed", "the token may not be used from " + std::string(client_address)};
}

std::optional<Refusal> check_file_target(const TokenClaims& claims, const KindTable& kinds,
                                         std::string_view relative_path) {
    if (!inside_scope(claims, relative_path) || relative_path.back() == '/') {
        return out_of_scope(claims, relative_path);
    }
    if (kinds.matching_kind(claims.kinds, last_segment(relative_path)) == nullptr) {
        std::string allowed;
        for (const std::string& kind : claims.kinds) {
            allowed += (allowed.empty() ? "" : ", ") + kind;
        }
        return Refusal{
            403, "wrong_kind",
            "'" + std::string(last_segment(relative_path)) + "' matches none of the token's kinds (" + allowed + ")"};
    }
    return std::nullopt;
}

std::optional<Refusal> check_directory_target(const TokenClaims& claims, std::string_view relative_directory) {
    if (!inside_scope(claims, relative_directory)) {
        return out_of_scope(claims, relative_directory);
    }
    return std::nullopt;
}

std::optional<Refusal> check_quota(const TokenClaims& claims, const LedgerUsage& usage, std::uint64_t bytes,
                                   std::uint64_t files) {
    if (usage.sealed_at != 0) {
        return Refusal{410, "sealed", "the token was sealed; ask the scheduler for a new one"};
    }
    if (claims.max_bytes && (bytes > *claims.max_bytes || usage.bytes > *claims.max_bytes - bytes)) {
        return Refusal{413, "quota_exceeded",
                       "the token's quota of " + std::to_string(*claims.max_bytes) + " bytes would be exceeded (" +
                           std::to_string(usage.bytes) + " used, " + std::to_string(bytes) + " more)"};
    }
    if (claims.max_files && (files > *claims.max_files || usage.files > *claims.max_files - files)) {
        return Refusal{413, "quota_exceeded",
                       "the token's quota of " + std::to_string(*claims.max_files) + " files would be exceeded (" +
                           std::to_string(usage.files) + " used, " + std::to_string(files) + " more)"};
    }
    return std::nullopt;
}

Refusal file_too_large(std::uint64_t limit) {
    return {413, "too_large", "the file is larger than this server accepts (" + std::to_string(limit) + " bytes)"};
}

Refusal invalid_token(const TokenCheck& check) {
    return {401, "invalid_token", check.reason};
}

}  // namespace artifacts
