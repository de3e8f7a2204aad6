#include "ndjson_log.h"

#include <charconv>
#include <cstring>

#include "../codec/utf8.h"
#include "plain_bytes.h"

namespace artifacts {

namespace {

constexpr SpecialBytes<'"', '\\', '<', true> kJsonSpecial;
constexpr char kHex[] = "0123456789abcdef";

// "_YYYY-MM-DD_HH_MM_SS_mmm" to "YYYY-MM-DDTHH:MM:SS.mmmZ".
void anchor_to_iso(const TimestampAnchor& anchor, char (&iso)[24]) {
    std::memcpy(iso, anchor.data() + 1, 10);
    iso[10] = 'T';
    iso[11] = anchor[12];
    iso[12] = anchor[13];
    iso[13] = ':';
    iso[14] = anchor[15];
    iso[15] = anchor[16];
    iso[16] = ':';
    iso[17] = anchor[18];
    iso[18] = anchor[19];
    iso[19] = '.';
    std::memcpy(iso + 20, anchor.data() + 21, 3);
    iso[23] = 'Z';
}

}  // namespace

void append_json_text(PageBuffer& out, std::string_view text) {
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
        const char* run = p;
        while (end - p >= 8 && all_plain<'"', '\\', '<'>(p)) {
            p += 8;
        }
        while (p < end && !kJsonSpecial.table[static_cast<unsigned char>(*p)]) {
            ++p;
        }
        out.append(run, p);
        if (p == end) {
            return;
        }
        const auto byte = static_cast<unsigned char>(*p);
        if (byte >= 0x80) {
            char32_t code_point;
            const std::size_t used = utf8::decode(text, p - text.data(), code_point);
            if (code_point == utf8::kReplacement && used == 1) {
                out.append("\\ufffd");
            } else {
                out.append(std::string_view(p, used));
            }
            p += used;
            continue;
        }
        switch (byte) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\t': out.append("\\t"); break;
        case '\r': out.append("\\r"); break;
        case '\n': out.append("\\n"); break;
        default:  // a control, DEL, or '<' (kept inert should the JSON ever be embedded in a page)
            out.append("\\u00");
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0F]);
        }
        ++p;
    }
}

void NdjsonLog::begin() {}

void NdjsonLog::open_line(std::string_view first_piece) {
    const LineSelector::Choice choice = selector_.choose(first_piece);
    if (choice.line.has_anchor) {
        anchor_to_iso(choice.line.anchor, timestamp_);
        has_timestamp_ = true;
    }
    line_open_ = choice.kept;
    if (!line_open_) {
        return;
    }
    out_.append("{\"@timestamp\":");
    if (has_timestamp_) {
        out_.push_back('"');
        out_.append(std::string_view(timestamp_, sizeof timestamp_));
        out_.push_back('"');
    } else {
        out_.append("null");
    }
    out_.append(",\"level\":");
    if (const std::string_view level = level_name(choice.effective); !level.empty()) {
        out_.push_back('"');
        out_.append(level);
        out_.push_back('"');
    } else {
        out_.append("null");
    }
    out_.append(",\"line\":");
    char digits[24];
    out_.append(digits, std::to_chars(digits, digits + sizeof digits, selector_.line_number()).ptr);
    out_.append(",\"message\":\"");
    append_json_text(out_, first_piece);
}

void NdjsonLog::continue_line(std::string_view piece) {
    if (line_open_) {
        append_json_text(out_, piece);
    }
}

void NdjsonLog::close_line() {
    if (line_open_) {
        out_.append("\"}\n");
        line_open_ = false;
    }
}

void NdjsonLog::notice(std::string_view text) {
    close_line();
    out_.append("{\"notice\":\"");
    append_json_text(out_, text);
    out_.append("\"}\n");
}

}  // namespace artifacts
