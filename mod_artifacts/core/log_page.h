// The HTML page HTMLIFY makes of a log: a sticky bar with level links and a grep form, one
// block per kept line (level class, line-number anchor, timestamp anchor, request ids as
// ?grep= links) and a footer. It also decides which lines are kept (?level, ?grep, ?limit).
// Lines arrive one at a time; an over-long line may arrive in pieces.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "log_line.h"

namespace artifacts {

struct HtmlifyOptions {
    std::string title;               // the file's path, shown in the bar and the <title>
    std::optional<Level> min_level;  // ?level=
    std::string grep;                // ?grep= (plain text, case-sensitive); empty: every line
    std::uint64_t limit = 0;         // ?limit=: stop after this many shown lines; 0: no limit
    std::string notice;              // a word about a query parameter that was ignored
};

// Reads ?level=, ?grep= and ?limit= from a raw query string (percent- and form-decoded).
// A value that makes no sense is ignored and explained in notice.
HtmlifyOptions htmlify_options_from_query(std::string_view query);

class LogPage {
public:
    // Appends to out; the caller drains out whenever it likes.
    LogPage(const HtmlifyOptions& options, std::string& out);

    void begin();
    // One whole line, without its terminator.
    void line(std::string_view text) {
        open_line(text);
        close_line();
    }
    // A line in pieces: the first piece decides its level and whether it is kept.
    void open_line(std::string_view first_piece);
    void continue_line(std::string_view piece);
    void close_line();
    // A line of the module's own (a damaged compressed file), shown whatever the filters.
    void notice(std::string_view text);
    void end();

    // ?limit= lines were shown: nothing more will be.
    bool limit_reached() const { return options_.limit != 0 && shown_ >= options_.limit; }
    std::uint64_t lines_read() const { return line_number_; }
    std::uint64_t lines_shown() const { return shown_; }

private:
    bool keep(const LogLine& line, Level effective, std::string_view text);
    void render_text(std::string_view text);

    const HtmlifyOptions& options_;
    std::string& out_;
    std::uint64_t line_number_ = 0;
    std::uint64_t shown_ = 0;
    Level previous_level_ = Level::None;  // the effective level of the line before
    bool previous_kept_ = false;          // by the level filter
    bool line_open_ = false;              // a kept line is open (its pieces are being written)
    bool has_anchor_ = false;
    TimestampAnchor last_anchor_{};  // anchors are only given to later timestamps, so ids stay unique
};

}  // namespace artifacts
