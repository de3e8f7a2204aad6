#include "retention.h"

#include <algorithm>

namespace artifacts {

std::string scope_directory(std::string_view scope) {
    std::string directory(scope);
    if (!directory.empty() && directory.back() != '/') {
        directory.push_back('/');
    }
    return directory;
}

RetentionPlan::RetentionPlan(const RetentionRules& rules, const std::vector<RetainedToken>& tokens)
    : rules_(rules), cutoff_(rules.now - rules.max_age) {
    for (const RetainedToken& token : tokens) {
        const std::string directory = scope_directory(token.scope);
        if (in_progress(token)) {
            uploading_.insert(directory);
        } else if (token.sealed_at > 0) {
            // Two tokens sealed one scope (a retried job): the later seal ages it.
            std::int64_t& sealed = sealed_[directory];
            sealed = std::max(sealed, token.sealed_at);
        }
    }
    uploading_sorted_.assign(uploading_.begin(), uploading_.end());
    std::sort(uploading_sorted_.begin(), uploading_sorted_.end());
}

bool RetentionPlan::in_progress(const RetainedToken& token) const {
    if (token.sealed_at > 0) {
        return false;
    }
    const std::int64_t expires_at = token.expires_at > 0 ? token.expires_at : token.seen_at + rules_.max_lifetime;
    return expires_at + rules_.leeway >= rules_.now;
}

bool RetentionPlan::record_expired(const RetainedToken& token) const {
    const std::int64_t expires_at = token.expires_at > 0 ? token.expires_at : token.seen_at + rules_.max_lifetime;
    if (expires_at + rules_.leeway >= rules_.now) {
        return false;  // may still come back (a sealed one is refused by its record: kept)
    }
    const std::int64_t last = token.sealed_at > 0 ? token.sealed_at : expires_at;
    return last < cutoff_;
}

bool RetentionPlan::holds_upload(std::string_view directory) const {
    if (uploading_.empty()) {
        return false;
    }
    // Each enclosing directory of `directory`, itself included: "", "a/", "a/b/".
    if (uploading_.count(std::string())) {
        return true;
    }
    for (std::size_t slash = directory.find('/'); slash != std::string_view::npos;
         slash = directory.find('/', slash + 1)) {
        if (uploading_.count(std::string(directory.substr(0, slash + 1)))) {
            return true;
        }
    }
    return false;
}

bool RetentionPlan::above_upload(std::string_view directory) const {
    const auto first = std::lower_bound(uploading_sorted_.begin(), uploading_sorted_.end(), directory);
    return first != uploading_sorted_.end() && first->size() > directory.size() &&
           std::string_view(*first).substr(0, directory.size()) == directory;
}

std::optional<std::int64_t> RetentionPlan::sealed_at(std::string_view path) const {
    if (sealed_.empty()) {
        return std::nullopt;
    }
    std::optional<std::int64_t> innermost;
    if (const auto top = sealed_.find(std::string()); top != sealed_.end()) {
        innermost = top->second;
    }
    for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
        if (const auto found = sealed_.find(std::string(path.substr(0, slash + 1))); found != sealed_.end()) {
            innermost = found->second;
        }
    }
    return innermost;
}

}  // namespace artifacts
