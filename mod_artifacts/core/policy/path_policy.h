// Which artifact paths are legal. A bad path is rejected, never cleaned: "a/../b" is not
// "b", it is an attack or a bug, and the client is told which.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace artifacts {

enum class PathProblem {
    None,
    LeadingSlash,
    EmptySegment,   // "a//b"
    DotSegment,     // "a/./b"
    DotDotSegment,  // "a/../b"
    Backslash,
    Nul,
    ControlCharacter,
    InvalidUtf8,  // includes overlong encodings such as C0 AE for "."
    BadPercentEncoding,
    ReservedName,  // a temporary upload file's name
    NameTooLong,   // a segment longer than kMaxNameBytes
    PathTooLong,   // longer than kMaxPathBytes
};

// What a stored path may be: a segment as long as a file name may be on Linux (NAME_MAX),
// the whole path as long as the catalogue and Swift (an object name) hold, so what is
// stored can always be read back, from either store.
constexpr std::size_t kMaxNameBytes = 255;
constexpr std::size_t kMaxPathBytes = 1024;

// Applies `check` to each "/"-separated segment of a relative path in turn and returns its
// first non-default result (PathProblem::None and false are the defaults). A trailing "/"
// adds no segment; "a//b" has an empty one.
template <typename Check>
auto first_in_segments(std::string_view path, Check check) -> decltype(check(path)) {
    std::size_t start = 0;
    while (start < path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
        if (const auto found = check(path.substr(start, end - start)); found != decltype(found){}) {
            return found;
        }
        start = end + 1;
    }
    return {};
}

// Checks a decoded path relative to the artifact root ("" is the root itself). A single
// trailing "/" (a directory) is allowed.
PathProblem check_relative_path(std::string_view path);

// check_relative_path, and within kMaxNameBytes and kMaxPathBytes: for what an upload stores.
PathProblem check_storable_path(std::string_view path);

// The cheaper check for reads of an existing tree, on every GET: only what could leave
// the root (".", ".." segments, NUL) is a problem; other odd bytes may be in legacy names.
PathProblem check_served_path(std::string_view path);

// Decodes %XX escapes once ("%2F" becomes "/", "%252F" becomes "%2F"); nothing for a "%"
// not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

// A sentence for the client and the log.
std::string_view describe(PathProblem problem);

// The part of a decoded request path below a <Location>: "/logs/a/b" under "/logs" is
// "a/b", "/logs" and "/logs/" are "". Nothing when the path is not below the location
// ("/logsfoo" is not below "/logs").
std::optional<std::string_view> path_below_location(std::string_view uri, std::string_view location);

// A relative path cut at its last slash: "a/b/c.txt" is "a/b/" and "c.txt".
struct SplitPath {
    std::string directory;  // "" or ending with "/"
    std::string name;
};
SplitPath split_path(std::string_view relative);

}  // namespace artifacts
