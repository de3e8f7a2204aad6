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
    append_escaped(out, text, kJsonSpecial, "\\ufffd", [](PageBuffer& json, unsigned char byte) {
        switch (byte) {
        case '"': json.append("\\\""); break;
        case '\\': json.append("\\\\"); break;
        case '\t': json.append("\\t"); break;
        case '\r': json.append("\\r"); break;
        case '\n': json.append("\\n"); break;
        default:  // a control, DEL, or '<' (kept inert should the JSON ever be embedded in a page)
            json.append("\\u00");
            json.push_back(kHex[byte >> 4]);
            json.push_back(kHex[byte & 0x0F]);
        }
    });
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
