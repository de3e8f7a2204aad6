// Token verification on arbitrary bytes, both as a whole token and as claims signed with a
// known key (so the fuzzer reaches the claims parser): never a crash, a refusal always says
// why, and an accepted token always has a clean scope ending with "/".
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../../mod_artifacts/core/policy/path_policy.h"
#include "../../mod_artifacts/core/token/token.h"

using namespace artifacts;

namespace {

void check(const TokenCheck& verdict) {
    if (!verdict) {
        if (verdict.reason.empty()) {
            std::abort();
        }
        return;
    }
    const std::string& scope = verdict.claims.scope;
    if (scope.empty() || scope.back() != '/' || check_relative_path(scope) != PathProblem::None ||
        verdict.claims.kinds.empty() || verdict.claims.jti.empty()) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const KeyRing keys{{"k1", "fuzzing-secret-0123456789"}};
    VerifyOptions options;
    options.now = 1790000000;
    const std::string input(reinterpret_cast<const char*>(data), size);
    check(verify_token(input, keys, options));
    check(verify_token(mint_token("k1", "fuzzing-secret-0123456789", input), keys, options));
    return 0;
}
