// The engine's third rendering: no output, the lines counted per level (a log's summary at
// ingest, store/log_summary.h).
#pragma once

#include "../store/log_summary.h"
#include "log_page.h"

namespace artifacts {

class LogCounter final : public LineRenderer {
public:
    explicit LogCounter(LogSummary& summary) : summary_(summary) {}
    void begin() override {}
    void line(std::string_view text) override { open_line(text); }  // one call a line
    void open_line(std::string_view first_piece) override;
    void continue_line(std::string_view) override {}
    void close_line() override {}
    void notice(std::string_view) override {}
    void end() override {}
    bool limit_reached() const override { return false; }

private:
    LogSummary& summary_;
};

}  // namespace artifacts
