#include "escape.h"

#include <cstdio>

#include "utf8.h"

namespace artifacts {

namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

void append_utf8(std::string& out, char32_t code_point) {
    if (code_point < 0x80) {
        out.push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
}

bool is_unreserved(unsigned char byte) {
    return (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9') ||
           byte == '-' || byte == '.' || byte == '_' || byte == '~';
}

}  // namespace

bool is_bidi_control(char32_t code_point) {
    return code_point == 0x061C || code_point == 0x200E || code_point == 0x200F ||
           (code_point >= 0x202A && code_point <= 0x202E) || (code_point >= 0x2066 && code_point <= 0x2069);
}

void append_html_escaped(std::string& out, std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto byte = static_cast<unsigned char>(text[pos]);
        if (byte >= 0x80) {
            char32_t code_point;
            const std::size_t used = utf8::decode(text, pos, code_point);
            if (code_point == utf8::kReplacement && used == 1) {
                append_utf8(out, utf8::kReplacement);
            } else if (is_bidi_control(code_point)) {
                // Shown as what it is: raw, it would reorder the text around it (a name
                // "x\u202Etxt.exe" reads "xexe.txt").
                char visible[16];
                std::snprintf(visible, sizeof visible, "[U+%04X]", static_cast<unsigned>(code_point));
                out.append(visible);
            } else {
                out.append(text.substr(pos, used));
            }
            pos += used;
            continue;
        }
        switch (byte) {
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '>': out.append("&gt;"); break;
        case '"': out.append("&quot;"); break;
        case '\'': out.append("&#39;"); break;
        case '\t':
        case '\n':
        case '\r': out.push_back(static_cast<char>(byte)); break;
        default:
            if (byte < 0x20 || byte == 0x7F) {
                append_utf8(out, utf8::kReplacement);
            } else {
                out.push_back(static_cast<char>(byte));
            }
        }
        ++pos;
    }
}

void append_url_encoded_segment(std::string& out, std::string_view segment) {
    for (const char c : segment) {
        const auto byte = static_cast<unsigned char>(c);
        if (is_unreserved(byte)) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHexDigits[byte >> 4]);
            out.push_back(kHexDigits[byte & 0x0F]);
        }
    }
}

int percent_escape_at(std::string_view text, std::size_t pos) {
    const auto hex_value = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    };
    if (pos + 2 >= text.size() || text[pos] != '%') {
        return -1;
    }
    const int high = hex_value(text[pos + 1]);
    const int low = hex_value(text[pos + 2]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}

void append_url_encoded_path(std::string& out, std::string_view path) {
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = path.find('/', start);
        append_url_encoded_segment(out, path.substr(start, slash - start));
        if (slash == std::string_view::npos) {
            return;
        }
        out.push_back('/');
        start = slash + 1;
    }
}

void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto byte = static_cast<unsigned char>(text[pos]);
        if (byte >= 0x80) {
            char32_t code_point;
            const std::size_t used = utf8::decode(text, pos, code_point);
            if (code_point == utf8::kReplacement && used == 1) {
                out.append("\\ufffd");
            } else {
                out.append(text.substr(pos, used));
            }
            pos += used;
            continue;
        }
        switch (byte) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
            if (byte < 0x20 || byte == 0x7F) {
                out.append("\\u00");
                out.push_back(kHexDigits[byte >> 4]);
                out.push_back(kHexDigits[byte & 0x0F]);
            } else if (byte == '<') {
                // Keeps "</script>" inert if a page ever embeds the JSON.
                out.append("\\u003c");
            } else {
                out.push_back(static_cast<char>(byte));
            }
        }
        ++pos;
    }
    out.push_back('"');
}

}  // namespace artifacts
