// HTMLIFY's engine: a log arrives in blocks of any size (bucket boundaries fall anywhere),
// is decoded when it is gzip, passed through when it is already HTML, and otherwise split
// into lines for the LogPage. Only the partial last line is kept between blocks, and an
// over-long line is handed on in pieces, so memory stays flat whatever the file.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "../codec/gunzip.h"
#include "log_page.h"
#include "log_counter.h"
#include "ndjson_log.h"
#include "../http/sink.h"

namespace artifacts {

// What the engine makes of a log's lines.
enum class LogFormat {
    Page,     // the HTML page (log_page.h); a file that is HTML already passes through
    Ndjson,   // one JSON object per line (ndjson_log.h), whatever the file holds
    Summary,  // nothing written: lines counted per level (summary()); HTML is not counted
};

enum class HtmlifyResult {
    Page,    // a rendered log page (text/html)
    Html,    // the file is already HTML: its bytes, unchanged (decoded when it was gzip)
    Ndjson,  // newline-delimited JSON (application/x-ndjson)
};

class Htmlifier {
public:
    // Called once, before the first byte reaches the sink, so the caller can set headers.
    using Decided = std::function<void(HtmlifyResult result, bool decoded_gzip)>;

    // Output is gathered into blocks of about this size before reaching the sink.
    static constexpr std::size_t kOutputBlock = 64 * 1024;
    // A line longer than this is rendered in pieces of this size.
    static constexpr std::size_t kMaxPiece = 64 * 1024;

    Htmlifier(HtmlifyOptions options, Sink& sink, Decided decided, LogFormat format = LogFormat::Page);

    void feed(std::string_view bytes);
    // Hands what is ready to the sink (a FLUSH from upstream).
    void flush();
    // The end of the file: renders the partial last line and the footer, then flushes.
    void finish();
    // True once ?limit= was reached or the compressed input was found damaged: what follows
    // need not be read.
    bool done() const { return done_; }
    // True when the page stopped at its work budget (HtmlifyOptions::max_bytes).
    bool over_budget() const { return over_budget_; }
    // Bytes of log (decoded) taken so far.
    std::uint64_t log_bytes() const { return log_bytes_; }
    // Why the output stopped early ("" when it did not): for the error log.
    const std::string& damage() const { return damage_; }
    // LogFormat::Summary, once finished: the log's lines counted, or nullptr when the file
    // was HTML (not a log) or could not be read to its end.
    const LogSummary* summary() const {
        return format_ == LogFormat::Summary && finished_ && !passthrough_ && damage_.empty() ? &summary_ : nullptr;
    }

private:
    void take_raw(std::string_view bytes);
    void take_decoded(std::string_view bytes);
    void decide(bool at_end);
    void take_lines(std::string_view text);
    void end_line(std::string_view line);
    void end_partial_line();
    void emit_piece();
    void stop_on_damage(const GzipError& error);
    void stop_over_budget();
    void drain_if_full() {
        if (out_.size() >= kOutputBlock) {
            flush();
        }
    }

    HtmlifyOptions options_;
    Sink& sink_;
    Decided decided_;
    LogFormat format_;
    PageBuffer out_;
    LogSummary summary_;
    std::unique_ptr<LineRenderer> page_;
    std::unique_ptr<GzipDecoder> gzip_;
    bool gzip_decided_ = false;
    bool decided_once_ = false;
    bool passthrough_ = false;
    bool done_ = false;
    bool over_budget_ = false;
    std::uint64_t log_bytes_ = 0;
    bool finished_ = false;
    bool in_long_line_ = false;
    std::string sniff_;    // the first bytes, until the kind of input is known
    std::string partial_;  // the incomplete last line
    std::string damage_;
};

}  // namespace artifacts
