// Retention: which stored files are old enough to go, and what must never be pruned. A
// file's age is the time its token was sealed when its directory is a sealed token's scope
// (the build is over then, whatever the files' own times say), else its modification
// time. A token still uploading (not sealed, not expired) keeps its whole scope, and the
// directories above it, however old they look.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace artifacts {

// What the ledger knows of one token.
struct RetainedToken {
    std::string scope;            // relative to the root, "" for all of it
    std::int64_t expires_at = 0;  // 0 when the record does not say
    std::int64_t sealed_at = 0;   // 0 while open
    std::int64_t seen_at = 0;     // when its record last changed
};

struct RetentionRules {
    std::int64_t now = 0;
    std::int64_t max_age = 0;               // seconds: older goes
    std::int64_t leeway = 60;               // ArtifactsTokenLeeway
    std::int64_t max_lifetime = 24 * 3600;  // ArtifactsTokenMaxLifetime: bounds an unknown expiry
};

class RetentionPlan {
public:
    RetentionPlan(const RetentionRules& rules, const std::vector<RetainedToken>& tokens);

    // Older than this (Unix seconds) goes.
    std::int64_t cutoff() const { return cutoff_; }
    // `directory` ("a/b/", "" for the top) is, or is inside, the scope of an upload in progress.
    bool holds_upload(std::string_view directory) const;
    // `directory` is above the scope of an upload in progress: walked, never removed.
    bool above_upload(std::string_view directory) const;
    // The time that ages `path`: the seal of the innermost sealed scope holding it, if any.
    std::optional<std::int64_t> sealed_at(std::string_view path) const;
    // The token may still upload: not sealed and not past its expiry (and leeway); a record
    // without an expiry counts as expiring max_lifetime after it last changed.
    bool in_progress(const RetainedToken& token) const;
    // The token's ledger record can go: it can never upload again, and its scope's files
    // are past the cutoff too (its seal or expiry is older than the cutoff).
    bool record_expired(const RetainedToken& token) const;

private:
    RetentionRules rules_;
    std::int64_t cutoff_;
    std::unordered_set<std::string> uploading_;  // scopes, each ending with '/' (or "")
    std::vector<std::string> uploading_sorted_;
    std::unordered_map<std::string, std::int64_t> sealed_;  // scope -> seal time
};

// A scope as a directory path: "" stays "", anything else ends with '/'.
std::string scope_directory(std::string_view scope);

}  // namespace artifacts
