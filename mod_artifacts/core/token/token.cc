#include "token.h"

#include <strings.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "../codec/base64url.h"
#include "cidr.h"
#include "../codec/digest.h"
#include "../codec/escape.h"
#include "../policy/path_policy.h"

namespace artifacts {

namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "art1";
constexpr std::size_t kMaxTokenLength = 16 * 1024;

struct Parts {
    std::string_view kid;
    std::string_view claims;
    std::string_view signature;
    std::string_view signed_text;  // "art1.<kid>.<claims>"
};

std::optional<Parts> split(std::string_view token) {
    if (token.size() > kMaxTokenLength) {
        return std::nullopt;
    }
    std::string_view pieces[4];
    std::size_t start = 0;
    for (int i = 0; i < 4; ++i) {
        const std::size_t dot = token.find('.', start);
        if ((dot == std::string_view::npos) != (i == 3)) {
            return std::nullopt;
        }
        const std::size_t end = dot == std::string_view::npos ? token.size() : dot;
        pieces[i] = token.substr(start, end - start);
        start = end + 1;
    }
    if (pieces[0] != kPrefix) {
        return std::nullopt;
    }
    const std::size_t signed_length = static_cast<std::size_t>(pieces[3].data() - token.data()) - 1;
    return Parts{pieces[1], pieces[2], pieces[3], token.substr(0, signed_length)};
}

TokenCheck refuse(TokenProblem problem, std::string reason) {
    TokenCheck check;
    check.problem = problem;
    check.reason = std::move(reason);
    return check;
}

std::optional<std::int64_t> as_int64(const json& value) {
    if (value.is_number_unsigned()) {
        const auto unsigned_value = value.get<std::uint64_t>();
        if (unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(unsigned_value);
    }
    if (value.is_number_integer()) {
        return value.get<std::int64_t>();
    }
    return std::nullopt;
}

bool is_string_list(const json& value) {
    if (!value.is_array()) {
        return false;
    }
    for (const json& item : value) {
        if (!item.is_string()) {
            return false;
        }
    }
    return true;
}

std::string wrong_type(std::string_view claim, std::string_view expected) {
    return "claim '" + std::string(claim) + "' must be " + std::string(expected);
}

// Fills claims from the JSON object, or says which claim is missing or mistyped.
TokenCheck read_claims(const json& object) {
    for (const char* required : {"scope", "exp", "kinds", "jti"}) {
        if (!object.contains(required)) {
            return refuse(TokenProblem::MissingClaim, std::string("claim '") + required + "' is missing");
        }
    }
    TokenCheck check;
    TokenClaims& claims = check.claims;
    const json& scope = object["scope"];
    if (!scope.is_string()) {
        return refuse(TokenProblem::WrongType, wrong_type("scope", "a string"));
    }
    claims.scope = scope.get<std::string>();
    const auto exp = as_int64(object["exp"]);
    if (!exp) {
        return refuse(TokenProblem::WrongType, wrong_type("exp", "an integer (Unix seconds)"));
    }
    claims.exp = *exp;
    if (object.contains("nbf")) {
        const auto nbf = as_int64(object["nbf"]);
        if (!nbf) {
            return refuse(TokenProblem::WrongType, wrong_type("nbf", "an integer (Unix seconds)"));
        }
        claims.nbf = *nbf;
    }
    const json& kinds = object["kinds"];
    if (!is_string_list(kinds) || kinds.empty()) {
        return refuse(TokenProblem::WrongType, wrong_type("kinds", "a non-empty list of kind names"));
    }
    claims.kinds = kinds.get<std::vector<std::string>>();
    const json& jti = object["jti"];
    if (!jti.is_string() || jti.get_ref<const std::string&>().empty() ||
        jti.get_ref<const std::string&>().size() > 256) {
        return refuse(TokenProblem::WrongType, wrong_type("jti", "a non-empty string of at most 256 bytes"));
    }
    claims.jti = jti.get<std::string>();
    for (const auto& [name, target] : {std::pair{"max_bytes", &claims.max_bytes}, {"max_files", &claims.max_files}}) {
        if (object.contains(name)) {
            if (!object[name].is_number_unsigned()) {
                return refuse(TokenProblem::WrongType, wrong_type(name, "a non-negative integer"));
            }
            *target = object[name].get<std::uint64_t>();
        }
    }
    if (object.contains("ip")) {
        const json& ip = object["ip"];
        if (!is_string_list(ip)) {
            return refuse(TokenProblem::WrongType, wrong_type("ip", "a list of CIDR ranges"));
        }
        for (const json& range : ip) {
            if (!parse_cidr(range.get_ref<const std::string&>())) {
                return refuse(TokenProblem::WrongType,
                              "claim 'ip' has '" + range.get<std::string>() + "', which is not a CIDR range");
            }
            claims.ip.push_back(range.get<std::string>());
        }
    }
    if (object.contains("overwrite")) {
        if (!object["overwrite"].is_boolean()) {
            return refuse(TokenProblem::WrongType, wrong_type("overwrite", "true or false"));
        }
        claims.overwrite = object["overwrite"].get<bool>();
    }
    for (const auto& [name, target] : {std::pair{"build", &claims.build}, {"job", &claims.job}}) {
        if (object.contains(name)) {
            if (!object[name].is_string()) {
                return refuse(TokenProblem::WrongType, wrong_type(name, "a string"));
            }
            *target = object[name].get<std::string>();
        }
    }
    return check;
}

TokenProblem scope_problem(std::string_view scope, std::string& reason) {
    if (scope.empty() || scope.back() != '/') {
        reason = "scope must end with '/'";
        return TokenProblem::BadScope;
    }
    if (const PathProblem problem = check_relative_path(scope); problem != PathProblem::None) {
        reason = "scope is not a clean path: " + std::string(describe(problem));
        return TokenProblem::BadScope;
    }
    return TokenProblem::None;
}

}  // namespace

std::string_view problem_code(TokenProblem problem) {
    switch (problem) {
    case TokenProblem::None: return "ok";
    case TokenProblem::Malformed: return "malformed";
    case TokenProblem::UnknownKey: return "unknown_kid";
    case TokenProblem::BadSignature: return "bad_signature";
    case TokenProblem::BadClaims: return "bad_claims";
    case TokenProblem::MissingClaim: return "missing_claim";
    case TokenProblem::WrongType: return "wrong_type";
    case TokenProblem::BadScope: return "bad_scope";
    case TokenProblem::Expired: return "expired";
    case TokenProblem::NotYetValid: return "not_yet_valid";
    case TokenProblem::LifetimeTooLong: return "lifetime_too_long";
    }
    return "invalid";
}

std::string_view key_file_secret(std::string_view content) {
    while (!content.empty() &&
           (content.back() == ' ' || content.back() == '\n' || content.back() == '\r' || content.back() == '\t')) {
        content.remove_suffix(1);
    }
    return content;
}

bool is_valid_kid(std::string_view kid) {
    if (kid.empty() || kid.size() > 64) {
        return false;
    }
    for (const char c : kid) {
        const bool allowed =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!allowed) {
            return false;
        }
    }
    return true;
}

TokenCheck verify_token(std::string_view token, const KeyRing& keys, const VerifyOptions& options) {
    const auto parts = split(token);
    if (!parts || !is_valid_kid(parts->kid)) {
        return refuse(TokenProblem::Malformed, "the token is not of the form art1.<kid>.<claims>.<signature>");
    }
    const auto claims_text = base64url_decode(parts->claims);
    const auto signature = base64url_decode(parts->signature);
    if (!claims_text || !signature) {
        return refuse(TokenProblem::Malformed, "a part of the token is not unpadded base64url");
    }
    const auto key = keys.find(parts->kid);
    if (key == keys.end()) {
        return refuse(TokenProblem::UnknownKey, "the token's key '" + std::string(parts->kid) + "' is not known here");
    }
    if (!constant_time_equal(*signature, hmac_sha256(key->second, parts->signed_text))) {
        return refuse(TokenProblem::BadSignature, "the token's signature does not match");
    }
    // A byte order mark is not JSON (RFC 8259 §8.1: a parser may ignore one, nlohmann's does,
    // Python's json does not): the claims are refused the same everywhere.
    if (claims_text->compare(0, 3, "\xEF\xBB\xBF") == 0) {
        return refuse(TokenProblem::BadClaims, "the token's claims are not a JSON object");
    }
    const json object = json::parse(*claims_text, nullptr, false);
    if (object.is_discarded() || !object.is_object()) {
        return refuse(TokenProblem::BadClaims, "the token's claims are not a JSON object");
    }
    TokenCheck check = read_claims(object);
    if (!check) {
        return check;
    }
    check.kid = std::string(parts->kid);
    const TokenClaims& claims = check.claims;
    if (const TokenProblem problem = scope_problem(claims.scope, check.reason); problem != TokenProblem::None) {
        check.problem = problem;
        return check;
    }
    // Saturating arithmetic: a hostile exp near INT64_MAX must not wrap.
    const auto add = [](std::int64_t a, std::int64_t b) {
        return b > 0 && a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max()
                                                                         : a + b;
    };
    if (add(claims.exp, options.leeway) < options.now) {
        return refuse(TokenProblem::Expired, "the token expired at " + std::to_string(claims.exp));
    }
    if (claims.nbf && *claims.nbf > add(options.now, options.leeway)) {
        return refuse(TokenProblem::NotYetValid, "the token is not valid before " + std::to_string(*claims.nbf));
    }
    const std::int64_t start = claims.nbf && *claims.nbf > options.now ? *claims.nbf : options.now;
    if (claims.exp > add(add(start, options.max_lifetime), options.leeway)) {
        return refuse(TokenProblem::LifetimeTooLong, "the token is valid for longer than this server allows (" +
                                                         std::to_string(options.max_lifetime) + " s)");
    }
    return check;
}

std::string mint_token(std::string_view kid, std::string_view secret, std::string_view claims_json) {
    std::string token = std::string(kPrefix) + "." + std::string(kid) + "." + base64url_encode(claims_json);
    return token + "." + base64url_encode(hmac_sha256(secret, token));
}

std::string claims_to_json(const TokenClaims& claims) {
    json object = {{"scope", claims.scope}, {"exp", claims.exp}, {"kinds", claims.kinds}, {"jti", claims.jti}};
    if (claims.nbf) {
        object["nbf"] = *claims.nbf;
    }
    if (claims.max_bytes) {
        object["max_bytes"] = *claims.max_bytes;
    }
    if (claims.max_files) {
        object["max_files"] = *claims.max_files;
    }
    if (!claims.ip.empty()) {
        object["ip"] = claims.ip;
    }
    if (claims.overwrite) {
        object["overwrite"] = true;
    }
    if (!claims.build.empty()) {
        object["build"] = claims.build;
    }
    if (!claims.job.empty()) {
        object["job"] = claims.job;
    }
    return object.dump();
}

std::optional<std::string> unverified_claims_json(std::string_view token) {
    const auto parts = split(token);
    if (!parts) {
        return std::nullopt;
    }
    return base64url_decode(parts->claims);
}

namespace {

// Calls visit(parameter) for each "&"- or ";"-separated parameter of the raw query, and
// visit_separator(c) between them.
template <typename Visit, typename Separator>
void for_each_parameter(std::string_view query, Visit visit, Separator visit_separator) {
    for (;;) {
        const std::size_t end = query.find_first_of("&;");
        visit(query.substr(0, end));
        if (end == std::string_view::npos) {
            return;
        }
        visit_separator(query[end]);
        query.remove_prefix(end + 1);
    }
}

// %XX decoded where it is one; other bytes as they are.
std::string lenient_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int byte = text[i] == '%' ? percent_escape_at(text, i) : -1;
        out.push_back(byte >= 0 ? static_cast<char>(byte) : text[i]);
        i += byte >= 0 ? 2 : 0;
    }
    return out;
}

bool is_token_name(std::string_view raw_name) {
    const std::string name = lenient_decode(raw_name);
    return name.size() == 5 && strncasecmp(name.c_str(), "token", 5) == 0;
}

// A signed token, possibly behind "Bearer ".
bool is_token_value(const std::string& decoded) {
    std::size_t at = decoded.find_first_not_of(" +");
    if (at != std::string::npos && strncasecmp(decoded.c_str() + at, "bearer", 6) == 0) {
        at = decoded.find_first_not_of(" +", at + 6);
    }
    return at != std::string::npos && decoded.compare(at, kPrefix.size() + 1, std::string(kPrefix) + ".") == 0;
}

}  // namespace

std::string redact_query_tokens(std::string_view query) {
    std::string out;
    out.reserve(query.size());
    const auto redact = [&](std::string_view parameter) {
        const std::size_t equals = parameter.find('=');
        const std::string_view value =
            equals == std::string_view::npos ? std::string_view() : parameter.substr(equals + 1);
        const std::string decoded = lenient_decode(value);
        if (value.empty() || !(is_token_name(parameter.substr(0, equals)) || is_token_value(decoded))) {
            out.append(parameter);
            return;
        }
        constexpr std::string_view kTokenCharacters =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
        out.append(parameter.substr(0, equals + 1));
        out.append(decoded.find_first_not_of(kTokenCharacters) == std::string::npos ? redact_token(decoded)
                                                                                    : "(redacted)");
    };
    for_each_parameter(query, redact, [&](char separator) { out.push_back(separator); });
    return out;
}

std::optional<std::string> query_token(std::string_view query) {
    std::optional<std::string> found;
    const auto take = [&](std::string_view parameter) {
        if (!found && parameter.size() > 6 && parameter.substr(0, 6) == "token=") {
            found = lenient_decode(parameter.substr(6));
        }
    };
    for_each_parameter(query, take, [](char) {});
    return found;
}

std::string redact_token(std::string_view token) {
    const std::size_t last_dot = token.rfind('.');
    if (last_dot == std::string_view::npos) {
        return "(redacted)";
    }
    return std::string(token.substr(0, last_dot)) + ".(redacted)";
}

}  // namespace artifacts
