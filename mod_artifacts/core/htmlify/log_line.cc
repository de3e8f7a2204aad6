#include "log_line.h"

#include <cstdint>
#include <cstring>

namespace artifacts {

namespace {

constexpr std::string_view kLevelNames[] = {"", "DEBUG", "INFO", "AUDIT", "TRACE", "WARNING", "ERROR", "CRITICAL"};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool digits_at(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) {
        return false;
    }
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (!is_digit(text[i])) {
            return false;
        }
    }
    return true;
}

struct HexDigits {
    bool table[256] = {};
    constexpr HexDigits() {
        for (const char c : std::string_view("0123456789abcdefABCDEF")) {
            table[static_cast<unsigned char>(c)] = true;
        }
    }
};
constexpr HexDigits kHex;

std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    while (pos < text.size() && text[pos] == ' ') {
        ++pos;
    }
    return pos;
}

// "2026-11-25 21:50:01[.123456][Z|+01:00]" (or with "T", or "," before the fraction) at pos.
// Returns the end of the timestamp, or 0 when there is none; fills the anchor when given one
// (counting lines needs none).
std::size_t iso_timestamp_at(std::string_view text, std::size_t pos, TimestampAnchor* anchor) {
    if (pos + 19 > text.size()) {
        return 0;
    }
    // The separators first: most lines that are not timestamps fail there.
    const char* t = text.data() + pos;
    if (t[4] != '-' || t[7] != '-' || t[13] != ':' || t[16] != ':' || (t[10] != ' ' && t[10] != 'T') ||
        !(digits_at(text, pos, 4) && digits_at(text, pos + 5, 2) && digits_at(text, pos + 8, 2) &&
          digits_at(text, pos + 11, 2) && digits_at(text, pos + 14, 2) && digits_at(text, pos + 17, 2))) {
        return 0;
    }
    std::size_t end = pos + 19;
    const std::size_t fraction = end + 1;
    if (end + 1 < text.size() && (text[end] == '.' || text[end] == ',') && is_digit(text[end + 1])) {
        ++end;
        while (end < text.size() && is_digit(text[end])) {
            ++end;
        }
    }
    if (anchor != nullptr) {
        char* a = anchor->data();
        *a++ = '_';
        std::memcpy(a, t, 10);  // YYYY-MM-DD
        a += 10;
        for (const std::size_t field : {11, 14, 17}) {
            *a++ = '_';
            *a++ = t[field];
            *a++ = t[field + 1];
        }
        *a++ = '_';
        for (std::size_t digit = fraction; digit < fraction + 3; ++digit) {
            *a++ = digit < end ? text[digit] : '0';
        }
    }
    if (end < text.size() && text[end] == 'Z') {
        ++end;
    } else if (end < text.size() && (text[end] == '+' || text[end] == '-') && digits_at(text, end + 1, 2)) {
        if (end + 3 < text.size() && text[end + 3] == ':' && digits_at(text, end + 4, 2)) {
            end += 6;
        } else if (digits_at(text, end + 3, 2)) {
            end += 5;
        }
    }
    return end;
}

// "Nov 25 21:50:01[.123456]" at the start of text; returns its end or 0.
std::size_t syslog_timestamp_at_start(std::string_view text) {
    static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (text.size() < 15 || text[3] != ' ') {
        return 0;
    }
    bool month = false;
    for (std::size_t m = 0; m < kMonths.size(); m += 3) {
        month = month || text.compare(0, 3, kMonths, m, 3) == 0;
    }
    if (!month || !(text[4] == ' ' || is_digit(text[4])) || !is_digit(text[5]) || text[6] != ' ' ||
        !digits_at(text, 7, 2) || text[9] != ':' || !digits_at(text, 10, 2) || text[12] != ':' ||
        !digits_at(text, 13, 2)) {
        return 0;
    }
    std::size_t end = 15;
    if (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1])) {
        for (++end; end < text.size() && is_digit(text[end]);) {
            ++end;
        }
    }
    return end;
}

bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}

// How many upper-case ASCII letters text has from pos on, counted up to 9 (no level word is
// longer). Eight bytes at a time where it can: this runs for nearly every line of a log.
std::size_t upper_run(std::string_view text, std::size_t pos) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (pos + 8 <= text.size()) {
        std::uint64_t bytes;
        std::memcpy(&bytes, text.data() + pos, 8);
        constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
        const std::uint64_t low = bytes & ~kHigh;
        // A byte's high bit: at least 'A' (0x41), past 'Z' (0x5A), and not a byte >= 0x80.
        const std::uint64_t upper = (low + 0x3F3F3F3F3F3F3F3FULL) & ~(low + 0x2525252525252525ULL) & ~bytes & kHigh;
        const std::uint64_t other = ~upper & kHigh;
        if (other != 0) {
            return static_cast<std::size_t>(__builtin_ctzll(other)) / 8;
        }
        return pos + 8 < text.size() && is_upper(text[pos + 8]) ? 9 : 8;
    }
#endif
    std::size_t end = pos;
    while (end < text.size() && is_upper(text[end]) && end - pos <= 8) {
        ++end;
    }
    return end - pos;
}

// An upper-case level word at pos followed by one of `followers` (or the end of the line).
std::optional<Level> level_word_at(std::string_view text, std::size_t pos, std::string_view followers) {
    const std::size_t end = pos + upper_run(text, pos);
    if (end == pos) {
        return std::nullopt;
    }
    if (end < text.size()) {
        bool follows = false;
        for (const char follower : followers) {  // one or two characters: no call
            follows |= text[end] == follower;
        }
        if (!follows) {
            return std::nullopt;
        }
    }
    const std::string_view word = text.substr(pos, end - pos);
    // By length and first letter: this runs for every line of a log.
    const auto is = [&](std::string_view name) { return word == name; };
    switch (word.size()) {
    case 4:
        if (is("INFO")) {
            return Level::Info;
        }
        if (is("WARN")) {
            return Level::Warning;
        }
        break;
    case 5:
        switch (word[0]) {
        case 'D': return is("DEBUG") ? std::optional(Level::Debug) : std::nullopt;
        case 'A': return is("AUDIT") ? std::optional(Level::Audit) : std::nullopt;
        case 'T': return is("TRACE") ? std::optional(Level::Trace) : std::nullopt;
        case 'E': return is("ERROR") ? std::optional(Level::Error) : std::nullopt;
        case 'F': return is("FATAL") ? std::optional(Level::Critical) : std::nullopt;
        default: break;
        }
        break;
    case 7:
        if (is("WARNING")) {
            return Level::Warning;
        }
        break;
    case 8:
        if (is("CRITICAL")) {
            return Level::Critical;
        }
        break;
    default: break;
    }
    return std::nullopt;
}

// After an oslo timestamp: "[PID ]LEVEL ".
std::optional<Level> oslo_level_after(std::string_view text, std::size_t pos) {
    pos = skip_spaces(text, pos);
    std::size_t digits = pos;
    while (digits < text.size() && is_digit(text[digits])) {
        ++digits;
    }
    if (digits > pos) {
        if (digits >= text.size() || text[digits] != ' ') {
            return std::nullopt;
        }
        pos = skip_spaces(text, digits);
    }
    return level_word_at(text, pos, " :");
}

// The message part of a console or journal line may carry a line of its own: an oslo
// line ("ts pid LEVEL ..."), or a level word ("DEBUG oslo_concurrency...").
std::optional<Level> embedded_level(std::string_view text, std::size_t pos) {
    if (const std::size_t end = iso_timestamp_at(text, pos, nullptr); end != 0) {
        return oslo_level_after(text, end);
    }
    return level_word_at(text, pos, " :");
}

void classify_console(std::string_view line, std::size_t pipe, LogLine& result) {
    result.shape = LineShape::Console;
    std::size_t message = skip_spaces(line, pipe + 1);
    // Zuul prefixes the host: "ts | controller | msg".
    for (std::size_t field = message; field < line.size() && field - message <= 64; ++field) {
        if (line[field] == ' ') {
            if (field + 2 < line.size() && line[field + 1] == '|' && line[field + 2] == ' ') {
                message = skip_spaces(line, field + 2);
            }
            break;
        }
    }
    if (const std::size_t end = iso_timestamp_at(line, message, nullptr); end != 0) {
        if (auto level = oslo_level_after(line, end)) {
            result.level = *level;
        }
    }
}

void classify_syslog(std::string_view line, std::size_t timestamp_end, LogLine& result) {
    result.shape = LineShape::Syslog;
    result.level = Level::Info;
    // "host prog[pid]: msg": the message starts after the first ": " past the host.
    const std::size_t host = skip_spaces(line, timestamp_end);
    const std::size_t host_end = line.find(' ', host);
    if (host_end == std::string_view::npos) {
        return;
    }
    const std::size_t colon = line.find(": ", host_end);
    if (colon == std::string_view::npos) {
        return;
    }
    if (auto level = embedded_level(line, colon + 2)) {
        result.level = *level;
    }
}

}  // namespace

std::string_view level_name(Level level) {
    return kLevelNames[static_cast<std::size_t>(level)];
}

std::optional<Level> parse_level(std::string_view name) {
    char upper[9];
    if (name.empty() || name.size() > 8) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        upper[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return level_word_at(std::string_view(upper, name.size()), 0, "");
}

bool is_request_id_at(std::string_view text, std::size_t pos) {
    if (pos + kRequestIdLength > text.size() || std::memcmp(text.data() + pos, "req-", 4) != 0) {
        return false;
    }
    const char* uuid = text.data() + pos + 4;
    // Branch-free over the 36 bytes: this runs for every request id of a log.
    bool hex = true;
    for (std::size_t i = 0; i < 36; ++i) {
        hex &= kHex.table[static_cast<unsigned char>(uuid[i])] | (i == 8) | (i == 13) | (i == 18) | (i == 23);
    }
    return hex && uuid[8] == '-' && uuid[13] == '-' && uuid[18] == '-' && uuid[23] == '-';
}

LogLine classify_log_line(std::string_view line, bool with_anchor) {
    LogLine result;
    if (const std::size_t end = iso_timestamp_at(line, 0, with_anchor ? &result.anchor : nullptr); end != 0) {
        result.has_anchor = with_anchor;
        result.timestamp_count = end;
        const std::size_t next = skip_spaces(line, end);
        if (next < line.size() && line[next] == '|') {
            classify_console(line, next, result);
        } else if (auto level = oslo_level_after(line, end)) {
            result.shape = LineShape::Oslo;
            result.level = *level;
        }
        return result;
    }
    if (const std::size_t end = syslog_timestamp_at_start(line); end != 0) {
        result.timestamp_count = end;
        classify_syslog(line, end, result);
        return result;
    }
    if (line.compare(0, 35, "Traceback (most recent call last):") == 0) {
        result.shape = LineShape::Traceback;
        return result;
    }
    // "ERROR: ..." (pip, tox) or "WARNING:root:..." (Python's default logging format).
    if (auto level = level_word_at(line, 0, ":"); level && line.size() > 0) {
        result.level = *level;
    }
    return result;
}

}  // namespace artifacts
