#include "htmlify.h"

#include <cstring>
#include <utility>

namespace artifacts {

namespace {

constexpr std::size_t kGzipMagic = 3;
// Leading white space beyond this is not an HTML file's.
constexpr std::size_t kMaxSniff = 1024;

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether head is the start of an HTML document: true, false, or nullopt when more bytes
// are needed to tell (and the input has not ended).
std::optional<bool> sniff_html(std::string_view head, bool at_end) {
    static constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (!at_end && head.size() < kByteOrderMark.size() && kByteOrderMark.compare(0, head.size(), head) == 0) {
        return std::nullopt;
    }
    std::size_t pos = head.compare(0, kByteOrderMark.size(), kByteOrderMark) == 0 ? kByteOrderMark.size() : 0;
    while (pos < head.size() && (head[pos] == ' ' || head[pos] == '\t' || head[pos] == '\r' || head[pos] == '\n')) {
        ++pos;
    }
    if (pos == head.size()) {
        return at_end || head.size() > kMaxSniff ? std::optional<bool>(false) : std::nullopt;
    }
    bool undecided = false;
    for (const std::string_view opening : {std::string_view("<!doctype html"), std::string_view("<html")}) {
        std::size_t matched = 0;
        while (matched < opening.size() && pos + matched < head.size() &&
               lower(head[pos + matched]) == opening[matched]) {
            ++matched;
        }
        if (matched == opening.size()) {
            return true;
        }
        undecided = undecided || pos + matched == head.size();
    }
    return undecided && !at_end ? std::nullopt : std::optional<bool>(false);
}

}  // namespace

Htmlifier::Htmlifier(HtmlifyOptions options, Sink& sink, Decided decided, LogFormat format)
    : options_(std::move(options)), sink_(sink), decided_(std::move(decided)), format_(format) {
    if (format_ == LogFormat::Ndjson) {
        page_ = std::make_unique<NdjsonLog>(options_, out_);
    } else if (format_ == LogFormat::Summary) {
        page_ = std::make_unique<LogCounter>(summary_);
    } else {
        page_ = std::make_unique<LogPage>(options_, out_);
    }
}

void Htmlifier::feed(std::string_view bytes) {
    if (done_ || bytes.empty()) {
        return;
    }
    if (!gzip_decided_) {
        const std::size_t wanted = kGzipMagic - sniff_.size();
        sniff_.append(bytes.substr(0, wanted));
        bytes.remove_prefix(std::min(wanted, bytes.size()));
        if (sniff_.size() < kGzipMagic) {
            return;
        }
        gzip_decided_ = true;
        std::string head;
        head.swap(sniff_);
        if (looks_like_gzip(head)) {
            gzip_ = std::make_unique<GzipDecoder>();
        }
        take_raw(head);
    }
    take_raw(bytes);
}

void Htmlifier::take_raw(std::string_view bytes) {
    if (done_ || bytes.empty()) {
        return;
    }
    if (!gzip_) {
        take_decoded(bytes);
        return;
    }
    try {
        gzip_->feed(bytes, [this](std::string_view decoded) {
            if (!done_) {
                take_decoded(decoded);
            }
        });
    } catch (const GzipError& error) {
        stop_on_damage(error);
    }
}

void Htmlifier::take_decoded(std::string_view bytes) {
    if (!decided_once_) {
        sniff_.append(bytes);
        decide(false);
        return;
    }
    if (passthrough_) {
        // Large blocks (an mmapped file bucket is 4 MiB) go on in output-sized pieces.
        while (!bytes.empty()) {
            const std::string_view piece = bytes.substr(0, kOutputBlock - out_.size());
            out_.append(piece);
            bytes.remove_prefix(piece.size());
            drain_if_full();
        }
        return;
    }
    // A page that shows little of what it reads (a grep that matches nothing in a huge log)
    // costs work without output: it stops at its budget.
    const std::uint64_t budget = options_.max_bytes;
    if (budget != 0 && log_bytes_ + bytes.size() > budget) {
        take_lines(bytes.substr(0, static_cast<std::size_t>(budget - log_bytes_)));
        log_bytes_ = budget;
        stop_over_budget();
        return;
    }
    log_bytes_ += bytes.size();
    take_lines(bytes);
}

void Htmlifier::decide(bool at_end) {
    // Lines are lines to an indexer: only the page passes an HTML file through.
    const std::optional<bool> html = format_ == LogFormat::Ndjson ? false : sniff_html(sniff_, at_end);
    if (!html) {
        return;
    }
    decided_once_ = true;
    passthrough_ = *html;
    if (decided_) {
        decided_(passthrough_                   ? HtmlifyResult::Html
                 : format_ == LogFormat::Ndjson ? HtmlifyResult::Ndjson
                                                : HtmlifyResult::Page,
                 gzip_ != nullptr);
    }
    if (!passthrough_) {
        page_->begin();
    }
    std::string head;
    head.swap(sniff_);
    take_decoded(head);
}

void Htmlifier::take_lines(std::string_view text) {
    while (!text.empty() && !page_->limit_reached()) {
        const void* newline = std::memchr(text.data(), '\n', text.size());
        if (newline == nullptr) {
            partial_.append(text);
            while (partial_.size() > kMaxPiece) {
                emit_piece();
            }
            break;
        }
        const std::size_t length = static_cast<const char*>(newline) - text.data();
        std::string_view line = text.substr(0, length);
        if (!partial_.empty() || in_long_line_) {
            partial_.append(line);
            line = partial_;
        }
        end_line(line);
        partial_.clear();
        text.remove_prefix(length + 1);
        drain_if_full();
    }
    if (page_->limit_reached()) {
        done_ = true;
    }
}

// Ends the line being read (a whole one, or the rest of a long one) without its CR.
void Htmlifier::end_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (in_long_line_) {
        page_->continue_line(line);
        page_->close_line();
        in_long_line_ = false;
    } else {
        page_->line(line);
    }
}

// The input ended (or broke off) inside a line: what was read of it is still shown.
void Htmlifier::end_partial_line() {
    if (!page_->limit_reached() && (in_long_line_ || !partial_.empty())) {
        end_line(partial_);
    }
    partial_.clear();
    in_long_line_ = false;
}

// Hands on the first kMaxPiece bytes of an over-long line, cut between UTF-8 characters.
void Htmlifier::emit_piece() {
    std::size_t cut = kMaxPiece;
    while (cut > kMaxPiece - 4 && (static_cast<unsigned char>(partial_[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    const std::string_view piece(partial_.data(), cut);
    if (in_long_line_) {
        page_->continue_line(piece);
    } else {
        page_->open_line(piece);
        in_long_line_ = true;
    }
    partial_.erase(0, cut);
    drain_if_full();
}

void Htmlifier::stop_on_damage(const GzipError& error) {
    damage_ = error.what();
    if (!decided_once_) {
        decide(true);
    }
    if (!passthrough_) {
        end_partial_line();
        page_->notice("mod_artifacts: " + damage_ + "; the rest of the file cannot be shown.");
    }
    done_ = true;
}

void Htmlifier::stop_over_budget() {
    if (!done_) {
        end_partial_line();
        page_->notice("mod_artifacts: the page stops after " + std::to_string(log_bytes_) +
                      " bytes of the log (ArtifactsHtmlifyMaxBytes); ?raw gives the whole file.");
        over_budget_ = true;
        done_ = true;
    }
}

void Htmlifier::flush() {
    if (!out_.empty()) {
        sink_.write(out_.view());
        out_.clear();
    }
}

void Htmlifier::finish() {
    if (finished_) {
        return;
    }
    finished_ = true;
    if (!gzip_decided_) {
        gzip_decided_ = true;
        std::string head;
        head.swap(sniff_);
        take_raw(head);
    }
    if (gzip_ && damage_.empty()) {
        try {
            gzip_->finish();
        } catch (const GzipError& error) {
            stop_on_damage(error);
        }
    }
    if (!decided_once_) {
        decide(true);
    }
    if (!passthrough_) {
        end_partial_line();
        page_->end();
    }
    done_ = true;
    flush();
}

}  // namespace artifacts
