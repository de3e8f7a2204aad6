// The HTML page HTMLIFY makes of a log: a sticky bar with level links and a grep form, one
// block per kept line (level class, line-number anchor, timestamp anchor, request ids as
// ?grep= links) and a footer. It also decides which lines are kept (?level, ?grep, ?limit).
// Lines arrive one at a time; an over-long line may arrive in pieces.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
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
    std::uint64_t max_bytes = 0;     // stop after reading this many bytes of log; 0: no limit
    std::string notice;              // a word about a query parameter that was ignored
};

// Reads ?level=, ?grep= and ?limit= from a raw query string (percent- and form-decoded).
// A value that makes no sense is ignored and explained in notice.
HtmlifyOptions htmlify_options_from_query(std::string_view query);

// The page being written: appends are inline copies into reserved memory (std::string's
// out-of-line append cost a fifth of the rendering time: a line takes a dozen of them).
class PageBuffer {
public:
    void append(std::string_view bytes) {
        if (bytes.empty()) {
            return;  // memcpy must not see the null pointer of an empty view
        }
        if (bytes.size() > capacity_ - size_) {
            grow(bytes.size());
        }
        std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
        size_ += bytes.size();
    }
    void append(const char* begin, const char* end) { append(std::string_view(begin, end - begin)); }
    void push_back(char c) {
        if (size_ == capacity_) {
            grow(1);
        }
        data_[size_++] = c;
    }
    std::string_view view() const { return std::string_view(data_.get(), size_); }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    void clear() { size_ = 0; }

private:
    void grow(std::size_t needed);

    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

// Which lines of a log are kept (?level, ?grep, ?limit), with their numbers and their
// effective levels: the same choice for every rendering of a log (page, NDJSON).
class LineSelector {
public:
    explicit LineSelector(const HtmlifyOptions& options) : options_(options) {}

    struct Choice {
        LogLine line;
        Level effective = Level::None;  // its own level, else the level of the line before
        bool kept = false;
    };
    // Numbers and judges the next line, given its first piece.
    Choice choose(std::string_view first_piece);

    // ?limit= lines were kept: nothing more will be.
    bool limit_reached() const { return options_.limit != 0 && shown_ >= options_.limit; }
    std::uint64_t line_number() const { return line_number_; }
    std::uint64_t shown() const { return shown_; }

private:
    bool keep(const LogLine& line, Level effective, std::string_view text);

    const HtmlifyOptions& options_;
    std::uint64_t line_number_ = 0;
    std::uint64_t shown_ = 0;
    Level previous_level_ = Level::None;  // the effective level of the line before
    bool previous_kept_ = false;          // by the level filter
};

// What the engine (htmlify.h) hands a log's lines to: the HTML page, the NDJSON feed.
class LineRenderer {
public:
    virtual ~LineRenderer() = default;
    virtual void begin() = 0;
    // One whole line, without its terminator (LF or CRLF: a CR left here is kept as text).
    virtual void line(std::string_view text) {
        open_line(text);
        close_line();
    }
    // A line in pieces: the first piece decides its level and whether it is kept.
    virtual void open_line(std::string_view first_piece) = 0;
    virtual void continue_line(std::string_view piece) = 0;
    virtual void close_line() = 0;
    // A line of the module's own (a damaged compressed file), shown whatever the filters.
    virtual void notice(std::string_view text) = 0;
    virtual void end() = 0;
    virtual bool limit_reached() const = 0;
};

class LogPage final : public LineRenderer {
public:
    // Appends to out; the caller drains out whenever it likes.
    LogPage(const HtmlifyOptions& options, PageBuffer& out);

    void begin() override;
    void open_line(std::string_view first_piece) override;
    void continue_line(std::string_view piece) override;
    void close_line() override;
    void notice(std::string_view text) override;
    void end() override;

    bool limit_reached() const override { return selector_.limit_reached(); }
    std::uint64_t lines_read() const { return selector_.line_number(); }
    std::uint64_t lines_shown() const { return selector_.shown(); }

private:
    void render_text(std::string_view text);

    const HtmlifyOptions& options_;
    PageBuffer& out_;
    LineSelector selector_;
    std::uint64_t last_shown_ = 0;  // the number of the list's last item (0: none yet)
    bool line_open_ = false;        // a kept line is open (its pieces are being written)
    bool has_anchor_ = false;
    TimestampAnchor last_anchor_{};  // anchors are only given to later timestamps, so ids stay unique
};

}  // namespace artifacts
