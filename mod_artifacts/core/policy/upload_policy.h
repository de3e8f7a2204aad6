// What a verified token allows: which paths (its scope), which file names (its kinds),
// from where (its ip ranges) and how much (its quotas). Pure decisions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "../token/kinds.h"
#include "../store/ledger.h"
#include "refusal.h"
#include "../token/token.h"

namespace artifacts {

// Most members one archive (?extract) may hold: each is a file and a row to publish.
constexpr std::size_t kMaxArchiveMembers = 100000;

// Whether `client_address` may use the token at all (403 ip_not_allowed).
std::optional<Refusal> check_client_address(const TokenClaims& claims, std::string_view client_address);

// Whether the token may write the file `relative_path` (checked path, relative to the
// root): inside the scope (403 out_of_scope) and of one of its kinds (403 wrong_kind).
std::optional<Refusal> check_file_target(const TokenClaims& claims, const KindTable& kinds,
                                         std::string_view relative_path);

// Whether a directory target ("a/b/", for ?extract) lies inside the scope.
std::optional<Refusal> check_directory_target(const TokenClaims& claims, std::string_view relative_directory);

// Whether adding `bytes` in `files` new files keeps the token within its lifetime quotas
// (413 quota_exceeded), and that it is not sealed (410 sealed).
std::optional<Refusal> check_quota(const TokenClaims& claims, const LedgerUsage& usage, std::uint64_t bytes,
                                   std::uint64_t files);

// A file over ArtifactsMaxFileSize (413 too_large).
Refusal file_too_large(std::uint64_t limit);

// A token refused by verify_token (401 invalid_token).
Refusal invalid_token(const TokenCheck& check);

}  // namespace artifacts
