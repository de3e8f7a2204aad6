// Escaping arbitrary bytes (file names, log lines) for the formats the module emits.
// Invalid UTF-8 never reaches a page or a JSON document: it becomes U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace artifacts {

// Text content and attribute values: & < > " ' escaped, control characters other than
// tab, CR and LF replaced by U+FFFD, and bidirectional controls (U+202E and the like, which
// reorder what follows them) shown as "[U+202E]".
void append_html_escaped(std::string& out, std::string_view text);

// U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069.
bool is_bidi_control(char32_t code_point);

// One URL path segment: every byte but ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX,
// so the result is a safe relative reference whatever the name (no scheme, no query).
void append_url_encoded_segment(std::string& out, std::string_view segment);

// The byte a "%XX" escape at text[pos] stands for (0 to 255), or -1 when text[pos] is not
// '%' followed by two hex digits. The one reader of escapes for paths and query values.
int percent_escape_at(std::string_view text, std::size_t pos);

// A path: segments encoded as above, "/" kept.
void append_url_encoded_path(std::string& out, std::string_view path);

// A JSON string literal including the quotes.
void append_json_string(std::string& out, std::string_view text);

}  // namespace artifacts
