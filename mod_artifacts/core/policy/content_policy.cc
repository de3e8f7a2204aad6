#include "content_policy.h"

namespace artifacts {

namespace {

std::string with_frame_ancestors(std::string policy, std::string_view frame_ancestors) {
    if (!frame_ancestors.empty()) {
        policy.append(policy.empty() ? "" : "; ").append("frame-ancestors ").append(frame_ancestors);
    }
    return policy;
}

bool names_directive(std::string_view policy, std::string_view directive) {
    for (std::size_t at = policy.find(directive); at != std::string_view::npos; at = policy.find(directive, at + 1)) {
        const bool starts = at == 0 || policy[at - 1] == ';' || policy[at - 1] == ' ';
        const std::size_t end = at + directive.size();
        if (starts && (end == policy.size() || policy[end] == ' ' || policy[end] == ';')) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string generated_page_policy(std::string_view frame_ancestors) {
    return with_frame_ancestors(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'",
        frame_ancestors);
}

std::string stored_content_policy(std::string_view policy, std::string_view frame_ancestors) {
    if (names_directive(policy, "frame-ancestors")) {
        return std::string(policy);
    }
    return with_frame_ancestors(std::string(policy), frame_ancestors);
}

std::optional<std::string> content_policy_problem(std::string_view policy) {
    for (const char c : policy) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7F) {
            return std::string("a Content-Security-Policy is printable ASCII without line breaks");
        }
    }
    return std::nullopt;
}

std::optional<std::string> frame_ancestors_problem(std::string_view sources) {
    if (auto problem = content_policy_problem(sources)) {
        return problem;
    }
    if (sources.find_first_of(";,") != std::string_view::npos) {
        return std::string(
            "frame-ancestors takes source expressions ('self', 'none', https://ci.example.org), not ';' "
            "or ','");
    }
    return std::nullopt;
}

}  // namespace artifacts
