// What a browser may do with what the server answers. Workers are untrusted and browsers
// read what they upload on the server's own origin, so every answer that carries stored
// bytes gets a Content-Security-Policy that keeps those bytes from running script with the
// origin's privileges (by default a sandbox without allow-same-origin: an HTML report's
// scripts still run, in an opaque origin), and the pages the module writes itself (indexes,
// log pages) get a policy under which nothing runs at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace artifacts {

// ArtifactsContentPolicy's default.
constexpr std::string_view kDefaultStoredContentPolicy =
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";
// ArtifactsFrameAncestors' default: only the server's own pages may frame its answers.
constexpr std::string_view kDefaultFrameAncestors = "'self'";

// The policy for the module's own pages: no script, inline styles, forms to the same origin.
std::string generated_page_policy(std::string_view frame_ancestors);

// The policy for stored bytes: `policy` ("" for none) with frame-ancestors added unless it
// names them itself or `frame_ancestors` is "" (any site may frame). "" when both are empty.
std::string stored_content_policy(std::string_view policy, std::string_view frame_ancestors);

// Why a value cannot go into a Content-Security-Policy header (a control character, or for
// frame ancestors a ';' or ','), or nothing.
std::optional<std::string> content_policy_problem(std::string_view policy);
std::optional<std::string> frame_ancestors_problem(std::string_view sources);

}  // namespace artifacts
