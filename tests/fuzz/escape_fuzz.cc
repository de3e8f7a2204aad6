// Escaping invariants on arbitrary bytes: HTML output has no markup character left raw and
// is valid UTF-8; URL segments hold only unreserved characters and %XX; JSON strings are
// valid UTF-8 without raw control characters.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../mod_artifacts/core/codec/escape.h"
#include "../../mod_artifacts/core/codec/utf8.h"

using namespace artifacts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    std::string html;
    append_html_escaped(html, text);
    if (html.find_first_of("<>\"'") != std::string::npos || !utf8::is_valid(html)) {
        std::abort();
    }

    std::string segment;
    append_url_encoded_segment(segment, text);
    for (std::size_t i = 0; i < segment.size(); ++i) {
        const char c = segment[i];
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (c == '%') {
            if (i + 2 >= segment.size() || !std::isxdigit(static_cast<unsigned char>(segment[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(segment[i + 2]))) {
                std::abort();
            }
            i += 2;
        } else if (!unreserved) {
            std::abort();
        }
    }

    std::string json;
    append_json_string(json, text);
    if (json.size() < 2 || json.front() != '"' || json.back() != '"' || !utf8::is_valid(json)) {
        std::abort();
    }
    for (const char c : json) {
        if (static_cast<unsigned char>(c) < 0x20) {
            std::abort();
        }
    }
    return 0;
}
