// What one line of a CI log is: its level and its timestamp, recognised by hand-written
// scanning (no regex) because HTMLIFY classifies every line of multi-gigabyte logs.
// Shapes: oslo.log, devstack screen and Zuul console lines ("ts | host | msg"), journal or
// syslog lines, "LEVEL: msg", Python tracebacks and plain text.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace artifacts {

// Severity order as logs.openstack.org had it: TRACE sorts between AUDIT and WARNING.
// None is a line without a level of its own.
enum class Level : unsigned char { None, Debug, Info, Audit, Trace, Warning, Error, Critical };

// "DEBUG", ...; "" for None.
std::string_view level_name(Level level);

// A level name as written in a query (?level=warning) or a log (WARN, FATAL): case-insensitive.
std::optional<Level> parse_level(std::string_view name);

enum class LineShape : unsigned char {
    Plain,      // no recognisable structure (console output, continuation)
    Oslo,       // "2026-11-25 21:50:01.123 12345 INFO nova.compute [req-...] msg"
    Console,    // "2026-11-25 21:50:01.123456 | controller | msg" (devstack screen, Zuul console)
    Syslog,     // "Nov 25 21:50:01.123456 host prog[123]: msg"
    Traceback,  // "Traceback (most recent call last):"
};

// "_YYYY-MM-DD_HH_MM_SS_mmm": the anchor logs.openstack.org gave each timestamp.
using TimestampAnchor = std::array<char, 24>;

struct LogLine {
    LineShape shape = LineShape::Plain;
    Level level = Level::None;  // the line's own level
    // Where the timestamp is in the line (count 0 when there is none) and, when it has a
    // year, its anchor.
    std::size_t timestamp_begin = 0;
    std::size_t timestamp_count = 0;
    bool has_anchor = false;
    TimestampAnchor anchor{};
};

// Classifies one line (without its line terminator); without `with_anchor` (a count of
// levels) the anchor is not made.
LogLine classify_log_line(std::string_view line, bool with_anchor = true);

// True for a "req-<uuid>" request id at text[pos] (lower- or upper-case hex); the id is
// kRequestIdLength bytes long.
constexpr std::size_t kRequestIdLength = 4 + 36;
bool is_request_id_at(std::string_view text, std::size_t pos);

}  // namespace artifacts
