// Upload tokens, format v1: "art1.<kid>.<claims>.<sig>", where claims is the
// base64url JSON the scheduler wrote and sig = base64url(HMAC-SHA256(secret[kid],
// "art1." + kid + "." + claims)). There is no algorithm field to confuse, the scope
// always ends with "/", and every check says precisely why a token is refused.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace artifacts {

struct TokenClaims {
    std::string scope;  // relative to ArtifactsRoot, ends with "/"
    std::int64_t exp = 0;
    std::optional<std::int64_t> nbf;
    std::vector<std::string> kinds;
    std::string jti;
    std::optional<std::uint64_t> max_bytes;
    std::optional<std::uint64_t> max_files;
    std::vector<std::string> ip;  // CIDR ranges; empty means any address
    bool overwrite = false;
    std::string build;
    std::string job;
};

// Why a token is refused. The stable codes (problem_code) are what the shared test
// vectors of tests/vectors/ name, for this code and for scripts/artifacts_token.py.
enum class TokenProblem {
    None,
    Malformed,   // not art1.<kid>.<claims>.<sig>, or a part is not base64url
    UnknownKey,  // no ArtifactsTokenKey with that kid
    BadSignature,
    BadClaims,        // the claims are not a JSON object
    MissingClaim,     // scope, exp, kinds or jti absent
    WrongType,        // a claim of the wrong type or out of range
    BadScope,         // scope is not a clean relative path ending with "/"
    Expired,          // exp + leeway is past
    NotYetValid,      // nbf - leeway is still ahead
    LifetimeTooLong,  // valid for longer than the server's ArtifactsTokenMaxLifetime
};

std::string_view problem_code(TokenProblem problem);

// kid -> secret; several keys make rotation possible.
using KeyRing = std::map<std::string, std::string, std::less<>>;

struct VerifyOptions {
    std::int64_t now = 0;      // Unix seconds
    std::int64_t leeway = 60;  // clock skew allowed on exp and nbf
    std::int64_t max_lifetime = 86400;
};

struct TokenCheck {
    TokenProblem problem = TokenProblem::None;
    std::string reason;  // a sentence naming what is wrong; never contains the signature
    std::string kid;
    TokenClaims claims;  // filled when problem is None
    explicit operator bool() const { return problem == TokenProblem::None; }
};

// Offline verification; the signature is compared in constant time and checked before
// the claims are parsed. Unknown claims are ignored.
TokenCheck verify_token(std::string_view token, const KeyRing& keys, const VerifyOptions& options);

// Signs claims (a JSON object, sent as is) with the key `kid`.
std::string mint_token(std::string_view kid, std::string_view secret, std::string_view claims_json);

// The JSON object of claims, with only the optional claims that are set.
std::string claims_to_json(const TokenClaims& claims);

// The claims part of a token decoded but not verified (artifacts-token inspect).
std::optional<std::string> unverified_claims_json(std::string_view token);

// A key file's secret: its content without trailing whitespace (a final newline). The
// module, artifacts-token and artifacts_token.py all read key files this way.
std::string_view key_file_secret(std::string_view content);
constexpr std::size_t kMinSecretLength = 16;

// True for a kid that can be part of a token: 1 to 64 of A-Z a-z 0-9 - _.
bool is_valid_kid(std::string_view kid);

// The token with its signature replaced, fit for a log line or an access log.
std::string redact_token(std::string_view token);

// The query with every token in it redacted, for what logs print: the value of each
// parameter named "token" in any case (its name percent-decoded first), and each value that
// is a signed token whatever its parameter's name.
std::string redact_query_tokens(std::string_view query);

// The token a query carries for an upload: the first non-empty ?token=, percent-decoded.
std::optional<std::string> query_token(std::string_view query);

}  // namespace artifacts
