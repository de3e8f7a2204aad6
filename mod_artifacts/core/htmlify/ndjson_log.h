// A log as newline-delimited JSON for log indexers (?format=ndjson): one object per kept
// line, {"@timestamp", "level", "line", "message"}, in the shape OpenStack's log indexer
// (logscraper and logsender) sends to OpenSearch. The timestamp is the line's own, parsed as
// HTMLIFY parses it (ISO-8601, taken as UTC), else the last one seen before it, else null;
// the level is the line's effective level (a traceback's lines take the level of the line
// they continue), else null. The same ?level=, ?grep= and ?limit= choose the lines.
#pragma once

#include <string_view>

#include "log_page.h"

namespace artifacts {

class NdjsonLog final : public LineRenderer {
public:
    NdjsonLog(const HtmlifyOptions& options, PageBuffer& out) : out_(out), selector_(options) {}

    void begin() override;
    void open_line(std::string_view first_piece) override;
    void continue_line(std::string_view piece) override;
    void close_line() override;
    // A line of the module's own, as an object with "notice" in place of "message".
    void notice(std::string_view text) override;
    void end() override {}
    bool limit_reached() const override { return selector_.limit_reached(); }

private:
    PageBuffer& out_;
    LineSelector selector_;
    bool line_open_ = false;
    bool has_timestamp_ = false;
    char timestamp_[24] = {};  // "YYYY-MM-DDTHH:MM:SS.mmmZ"
};

// JSON string content (without the quotes): " \ < and controls escaped, invalid UTF-8 as
// U+FFFD. A fast path copies runs of plain bytes.
void append_json_text(PageBuffer& out, std::string_view text);

}  // namespace artifacts
