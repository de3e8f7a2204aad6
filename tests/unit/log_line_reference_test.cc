// The line classifier against a reference: the first, plain version of log_line.cc, kept
// here as written (a byte at a time, the level names in a loop), and compared with the tuned
// one on generated lines and hundreds of thousands of mutations of them, truncations
// included: both give each line the same shape, level, timestamp and anchor.
#include <cppunit/extensions/HelperMacros.h>

#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../../mod_artifacts/core/htmlify/log_line.h"

using namespace artifacts;

namespace reference {

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

std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    while (pos < text.size() && text[pos] == ' ') {
        ++pos;
    }
    return pos;
}

// "2026-11-25 21:50:01[.123456][Z|+01:00]" (or with "T", or "," before the fraction) at pos.
// Returns the end of the timestamp, or 0 when there is none; fills anchor.
std::size_t iso_timestamp_at(std::string_view text, std::size_t pos, TimestampAnchor& anchor) {
    if (pos + 19 > text.size()) {
        return 0;
    }
    if (!(digits_at(text, pos, 4) && text[pos + 4] == '-' && digits_at(text, pos + 5, 2) && text[pos + 7] == '-' &&
          digits_at(text, pos + 8, 2) && (text[pos + 10] == ' ' || text[pos + 10] == 'T') &&
          digits_at(text, pos + 11, 2) && text[pos + 13] == ':' && digits_at(text, pos + 14, 2) &&
          text[pos + 16] == ':' && digits_at(text, pos + 17, 2))) {
        return 0;
    }
    char* a = anchor.data();
    *a++ = '_';
    std::memcpy(a, text.data() + pos, 10);  // YYYY-MM-DD
    a += 10;
    for (const std::size_t field : {11, 14, 17}) {
        *a++ = '_';
        *a++ = text[pos + field];
        *a++ = text[pos + field + 1];
    }
    *a++ = '_';
    std::size_t end = pos + 19;
    std::size_t fraction_digits = 0;
    if (end + 1 < text.size() && (text[end] == '.' || text[end] == ',') && is_digit(text[end + 1])) {
        ++end;
        while (end < text.size() && is_digit(text[end])) {
            if (fraction_digits < 3) {
                *a++ = text[end];
            }
            ++fraction_digits;
            ++end;
        }
    }
    for (; fraction_digits < 3; ++fraction_digits) {
        *a++ = '0';
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

// An upper-case level word at pos followed by one of `followers` (or the end of the line).
std::optional<Level> level_word_at(std::string_view text, std::size_t pos, std::string_view followers) {
    std::size_t end = pos;
    while (end < text.size() && text[end] >= 'A' && text[end] <= 'Z' && end - pos <= 8) {
        ++end;
    }
    if (end == pos || (end < text.size() && followers.find(text[end]) == std::string_view::npos)) {
        return std::nullopt;
    }
    const std::string_view word = text.substr(pos, end - pos);
    if (word == "WARN") {
        return Level::Warning;
    }
    if (word == "FATAL") {
        return Level::Critical;
    }
    for (std::size_t i = 1; i < std::size(kLevelNames); ++i) {
        if (word == kLevelNames[i]) {
            return static_cast<Level>(i);
        }
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
    TimestampAnchor ignored;
    if (const std::size_t end = iso_timestamp_at(text, pos, ignored); end != 0) {
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
    TimestampAnchor ignored;
    if (const std::size_t end = iso_timestamp_at(line, message, ignored); end != 0) {
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

LogLine classify(std::string_view line) {
    LogLine result;
    if (const std::size_t end = iso_timestamp_at(line, 0, result.anchor); end != 0) {
        result.has_anchor = true;
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

}  // namespace reference

class LogLineReferenceTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogLineReferenceTest);
    CPPUNIT_TEST(mutated_lines_classify_as_the_reference_does);
    CPPUNIT_TEST_SUITE_END();

public:
    void mutated_lines_classify_as_the_reference_does() {
        const std::vector<std::string> seeds = {
            "2026-11-25 21:50:01.123 48213 INFO nova.compute.manager [req-1] Took 2.31 seconds",
            "2026-11-25 21:50:01,123 ERROR: something broke",
            "2026-11-25T21:50:01.123456Z 7 WARNING oslo [-] x",
            "2026-11-25 21:50:01.123456+01:00 | controller | 2026-11-25 21:50:01.1 9 CRITICAL nova x",
            "2026-11-25 21:50:01.123456 | DEBUG oslo_concurrency.lockutils x",
            "2026-11-25 21:50:01.123 | ok: [controller]",
            "Nov 25 21:50:01.123456 host nova-compute[123]: DEBUG oslo x",
            "Nov  5 21:50:01 host prog[1]: 2026-11-25 21:50:01.123 1 TRACE nova x",
            "Traceback (most recent call last):",
            "ERROR: could not install",
            "WARNING:root:deprecated",
            "FATAL: no",
            "WARN ing",
            "CRITICALITY: none",
            "AUDITOR: x",
            "plain text \xc3\xa9 \xff\xfe",
        };
        const std::string alphabet = "0123456789-:. T|ZEIRWANDBUGOCLFV\xc1\xdb\x80 a:+,";
        std::mt19937 random(20261202);
        std::size_t compared = 0;
        for (const std::string& seed : seeds) {
            for (std::size_t length = 0; length <= seed.size(); ++length) {
                compare(seed.substr(0, length));
                ++compared;
            }
            for (int round = 0; round < 20000; ++round) {
                std::string line = seed;
                const int changes = 1 + static_cast<int>(random() % 3);
                for (int change = 0; change < changes && !line.empty(); ++change) {
                    const std::size_t at = random() % line.size();
                    switch (random() % 3) {
                    case 0: line[at] = alphabet[random() % alphabet.size()]; break;
                    case 1: line.erase(at, 1); break;
                    default: line.insert(at, 1, alphabet[random() % alphabet.size()]); break;
                    }
                }
                line.resize(random() % (line.size() + 1) < line.size() / 4 ? random() % (line.size() + 1)
                                                                           : line.size());
                compare(line);
                ++compared;
            }
        }
        CPPUNIT_ASSERT(compared > 300000);
    }

private:
    static void compare(const std::string& text) {
        // A copy of exactly the line's bytes: reading past it is caught by ASan.
        const std::unique_ptr<char[]> exact(new char[text.size() + 1]);
        std::memcpy(exact.get(), text.data(), text.size());
        const std::string_view line(exact.get(), text.size());
        const LogLine expected = reference::classify(line);
        const LogLine got = classify_log_line(line);
        const std::string what = "line '" + text + "'";
        CPPUNIT_ASSERT_MESSAGE(what, expected.shape == got.shape);
        CPPUNIT_ASSERT_MESSAGE(what, expected.level == got.level);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what, expected.timestamp_begin, got.timestamp_begin);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what, expected.timestamp_count, got.timestamp_count);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what, expected.has_anchor, got.has_anchor);
        if (expected.has_anchor) {
            CPPUNIT_ASSERT_MESSAGE(what, expected.anchor == got.anchor);
        }
        const LogLine counted = classify_log_line(line, false);
        CPPUNIT_ASSERT_MESSAGE(what, expected.level == counted.level);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what, expected.timestamp_count, counted.timestamp_count);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogLineReferenceTest);
