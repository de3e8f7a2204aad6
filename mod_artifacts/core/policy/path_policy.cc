#include "path_policy.h"

#include "../codec/escape.h"
#include "../codec/utf8.h"

namespace artifacts {

namespace {

PathProblem escaping_segment_problem(std::string_view segment) {
    if (segment == ".") {
        return PathProblem::DotSegment;
    }
    if (segment == "..") {
        return PathProblem::DotDotSegment;
    }
    return PathProblem::None;
}

PathProblem strict_segment_problem(std::string_view segment) {
    if (segment.empty()) {
        return PathProblem::EmptySegment;
    }
    if (const PathProblem escaping = escaping_segment_problem(segment); escaping != PathProblem::None) {
        return escaping;
    }
    for (const char c : segment) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == 0) {
            return PathProblem::Nul;
        }
        if (byte == '\\') {
            return PathProblem::Backslash;
        }
        if (byte < 0x20 || byte == 0x7F) {
            return PathProblem::ControlCharacter;
        }
    }
    return PathProblem::None;
}

}  // namespace

PathProblem check_relative_path(std::string_view path) {
    if (path.empty()) {
        return PathProblem::None;
    }
    if (path.front() == '/') {
        return PathProblem::LeadingSlash;
    }
    if (!utf8::is_valid(path)) {
        return PathProblem::InvalidUtf8;
    }
    return first_in_segments(path, strict_segment_problem);
}

PathProblem check_storable_path(std::string_view path) {
    if (path.size() > kMaxPathBytes) {
        return PathProblem::PathTooLong;
    }
    if (const PathProblem problem = check_relative_path(path); problem != PathProblem::None) {
        return problem;
    }
    return first_in_segments(path, [](std::string_view segment) {
        return segment.size() > kMaxNameBytes ? PathProblem::NameTooLong : PathProblem::None;
    });
}

PathProblem check_served_path(std::string_view path) {
    if (path.find('\0') != std::string_view::npos) {
        return PathProblem::Nul;
    }
    return first_in_segments(path, escaping_segment_problem);
}

std::string_view describe(PathProblem problem) {
    switch (problem) {
    case PathProblem::None: return "the path is valid";
    case PathProblem::LeadingSlash: return "the path must be relative (no leading '/')";
    case PathProblem::EmptySegment: return "the path has an empty segment ('//')";
    case PathProblem::DotSegment: return "the path has a '.' segment";
    case PathProblem::DotDotSegment: return "the path has a '..' segment";
    case PathProblem::Backslash: return "the path has a backslash";
    case PathProblem::Nul: return "the path has a NUL byte";
    case PathProblem::ControlCharacter: return "the path has a control character";
    case PathProblem::InvalidUtf8: return "the path is not valid UTF-8";
    case PathProblem::BadPercentEncoding: return "the path has a '%' not followed by two hex digits";
    case PathProblem::ReservedName: return "the path names a temporary upload file";
    case PathProblem::NameTooLong: return "a name in the path is longer than 255 bytes";
    case PathProblem::PathTooLong: return "the path is longer than 1024 bytes";
    }
    return "the path is invalid";
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        const int byte = percent_escape_at(text, i);
        if (byte < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(byte));
        i += 2;
    }
    return out;
}

std::optional<std::string_view> path_below_location(std::string_view uri, std::string_view location) {
    while (!location.empty() && location.back() == '/') {
        location.remove_suffix(1);
    }
    if (uri.substr(0, location.size()) != location) {
        return std::nullopt;
    }
    std::string_view rest = uri.substr(location.size());
    if (rest.empty()) {
        return rest;
    }
    if (rest.front() != '/') {
        return std::nullopt;
    }
    rest.remove_prefix(1);
    return rest;
}

SplitPath split_path(std::string_view relative) {
    const std::size_t slash = relative.rfind('/');
    if (slash == std::string_view::npos) {
        return {"", std::string(relative)};
    }
    return {std::string(relative.substr(0, slash + 1)), std::string(relative.substr(slash + 1))};
}

}  // namespace artifacts
