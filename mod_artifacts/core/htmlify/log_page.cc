#include "log_page.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "../codec/escape.h"
#include "../http/negotiation.h"
#include "../codec/utf8.h"
#include "plain_bytes.h"

namespace artifacts {

namespace {

// Small and self-contained (the Content-Security-Policy allows no other source). Lines
// wrap on narrow screens; line numbers stay out of copied text.
constexpr std::string_view kStyle =
    "body{margin:0;font-family:system-ui,sans-serif;background:#fff;color:#222}"
    "nav{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:.3em .8em;align-items:center;"
    "padding:.4em .6em;background:#f3f3f3;border-bottom:1px solid #ccc;font-size:14px}"
    "nav .f{font-weight:600;overflow-wrap:anywhere}nav a{text-decoration:none;padding:0 .2em}"
    "nav a.on{outline:1px solid #888}nav form{display:flex;gap:.3em}nav input{width:12em}"
    "nav .x{color:#a00}nav .lv{display:flex;flex-wrap:wrap}"
    "ol,.m{margin:0;padding:.3em 0;list-style:none;font:12px/1.45 ui-monospace,monospace;color:#111}"
    "li,.m{white-space:pre-wrap;overflow-wrap:anywhere;padding-left:5.5em;text-indent:-5.5em;"
    "scroll-margin-top:4em}"
    "li>a:first-child{display:inline-block;width:4.8em;margin-right:.7em;text-indent:0;text-align:right;"
    "color:#999;text-decoration:none;user-select:none}ol{counter-reset:l}li{counter-increment:l}"
    "li>a:first-child::before{content:counter(l)}"
    "li a[id]{color:inherit;text-decoration:none}li a[href^='?']{color:inherit}"
    ".D{color:#666}.A{color:#05a}.T{color:#950}"
    ".W{color:#850;background:#fff6dd}.E{color:#b00;background:#ffecec}"
    ".C{color:#fff;background:#b00}li.C>a:first-child{color:#fcc}.m{color:#555;font-style:italic}"
    "li:target,li:has(a[id]:target){background:#ffef7a;color:#000}"
    "footer{padding:.5em .6em;border-top:1px solid #ccc;font-size:13px;color:#555}";

constexpr Level kFilterLevels[] = {Level::Debug,   Level::Info,  Level::Audit,   Level::Trace,
                                   Level::Warning, Level::Error, Level::Critical};

// Decimal digits of number, written into digits.
std::string_view format_number(char (&digits)[24], std::uint64_t number) {
    return std::string_view(digits, std::to_chars(digits, digits + sizeof digits, number).ptr - digits);
}

void append_number(PageBuffer& out, std::uint64_t number) {
    char digits[24];
    out.append(format_number(digits, number));
}

// Text for the bar and the title (file names, the grep text): quotes escaped too.
void append_html_text(PageBuffer& out, std::string_view text) {
    std::string escaped;
    append_html_escaped(escaped, text);
    out.append(escaped);
}

// Bytes that need more than a copy in page text: markup characters, controls (tab aside:
// the slow path would copy it as it is), and everything above ASCII (checked as UTF-8).
constexpr SpecialBytes<'&', '<', '>', false> kSpecial;

// Text content: & < > escaped, a control character shown as its Unicode "control picture"
// (so an ESC of a colour code is visible and inert), invalid UTF-8 as U+FFFD.
void append_log_text(PageBuffer& out, std::string_view text) {
    append_escaped(out, text, kSpecial, "\xEF\xBF\xBD", [](PageBuffer& page, unsigned char byte) {
        switch (byte) {
        case '&': page.append("&amp;"); break;
        case '<': page.append("&lt;"); break;
        case '>': page.append("&gt;"); break;
        case 0x7F: page.append("\xE2\x90\xA1"); break;  // U+2421
        default:                                        // U+2400 + byte
            page.push_back('\xE2');
            page.push_back('\x90');
            page.push_back(static_cast<char>(0x80 + byte));
        }
    });
}

// A level's class on lines and level links: its initial (INFO, the common case, has none:
// it is the page's own colour). Each line carries its class, so a letter saves bytes.
std::string_view level_class(Level level) {
    switch (level) {
    case Level::Debug: return "D";
    case Level::Audit: return "A";
    case Level::Trace: return "T";
    case Level::Warning: return "W";
    case Level::Error: return "E";
    case Level::Critical: return "C";
    default: return {};
    }
}

void append_query_link(PageBuffer& out, std::string_view query, std::string_view label, bool on,
                       std::string_view css_class = {}) {
    out.append("<a href=\"?");
    out.append(query);
    out.append("\"");
    if (on || !css_class.empty()) {
        out.append(" class=\"");
        out.append(css_class);
        out.append(on ? (css_class.empty() ? "on" : " on") : "");
        out.append("\"");
    }
    out.append(">");
    out.append(label);
    out.append("</a>");
}

}  // namespace

HtmlifyOptions htmlify_options_from_query(std::string_view query) {
    HtmlifyOptions options;
    if (auto level = query_parameter(query, "level"); level && !level->empty()) {
        const std::string name = form_decode(*level);
        options.min_level = parse_level(name);
        if (!options.min_level) {
            options.notice =
                "unknown level '" + name + "' ignored (DEBUG, INFO, AUDIT, TRACE, WARNING, ERROR, CRITICAL)";
        }
    }
    if (auto grep = query_parameter(query, "grep")) {
        options.grep = form_decode(*grep);
    }
    if (auto limit = query_parameter(query, "limit"); limit && !limit->empty()) {
        std::uint64_t value = 0;
        const auto result = std::from_chars(limit->data(), limit->data() + limit->size(), value);
        if (result.ec != std::errc() || result.ptr != limit->data() + limit->size() || value == 0) {
            if (!options.notice.empty()) {
                options.notice += "; ";
            }
            options.notice += "limit must be a positive number of lines; ignored";
        } else {
            options.limit = value;
        }
    }
    return options;
}

void PageBuffer::grow(std::size_t needed) {
    const std::size_t capacity = std::max({capacity_ * 2, size_ + needed, std::size_t{4096}});
    std::unique_ptr<char[]> data(new char[capacity]);
    if (size_ > 0) {
        std::memcpy(data.get(), data_.get(), size_);
    }
    data_ = std::move(data);
    capacity_ = capacity;
}

LogPage::LogPage(const HtmlifyOptions& options, PageBuffer& out) : options_(options), out_(out), selector_(options) {}

void LogPage::begin() {
    out_.append(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    append_html_text(out_, options_.title);
    out_.append("</title><style>");
    out_.append(kStyle);
    out_.append("</style></head>\n<body><nav><span class=\"f\">");
    append_html_text(out_, options_.title);
    out_.append("</span><span class=\"lv\">");
    // Level links keep the grep text, the form keeps the level.
    std::string grep_query;
    if (!options_.grep.empty()) {
        grep_query = "grep=";
        append_url_encoded_segment(grep_query, options_.grep);
    }
    append_query_link(out_, grep_query, "all", !options_.min_level);
    for (const Level level : kFilterLevels) {
        std::string query = "level=";
        query += level_name(level);
        if (!grep_query.empty()) {
            query += "&amp;" + grep_query;
        }
        append_query_link(out_, query, level_name(level), options_.min_level == level, level_class(level));
    }
    out_.append("</span><form method=\"get\">");
    if (options_.min_level) {
        out_.append("<input type=\"hidden\" name=\"level\" value=\"");
        out_.append(level_name(*options_.min_level));
        out_.append("\">");
    }
    out_.append("<input type=\"search\" name=\"grep\" placeholder=\"text to keep\" value=\"");
    append_html_text(out_, options_.grep);
    out_.append("\"><button>grep</button></form><a href=\"?raw\">raw</a>");
    if (!options_.notice.empty()) {
        out_.append("<span class=\"x\">");
        append_html_text(out_, options_.notice);
        out_.append("</span>");
    }
    // An ordered list, a line an item: the end tags are implied, and the line numbers are
    // a CSS counter shown by the empty link to the line, so a line costs its number twice
    // (id and link) rather than three times.
    out_.append("</nav>\n<ol>");
}

bool LineSelector::keep(const LogLine& line, Level effective, std::string_view text) {
    bool by_level = true;
    if (options_.min_level) {
        const bool continuation = line.level == Level::None || line.level == Level::Trace;
        // DEBUG is the lowest level a query can ask for, so ?level=DEBUG shows every line.
        const Level judged = effective == Level::None ? Level::Debug : effective;
        by_level = (continuation && previous_kept_) || judged >= *options_.min_level;
    }
    previous_kept_ = by_level;
    return by_level && (options_.grep.empty() || text.find(options_.grep) != std::string_view::npos);
}

LineSelector::Choice LineSelector::choose(std::string_view first_piece) {
    ++line_number_;
    Choice choice;
    choice.line = classify_log_line(first_piece);
    choice.effective = choice.line.level != Level::None ? choice.line.level : previous_level_;
    previous_level_ = choice.effective;
    choice.kept = !limit_reached() && keep(choice.line, choice.effective, first_piece);
    if (choice.kept) {
        ++shown_;
    }
    return choice;
}

void LogPage::open_line(std::string_view first_piece) {
    const LineSelector::Choice choice = selector_.choose(first_piece);
    if (!choice.kept) {
        line_open_ = false;
        return;
    }
    const LogLine& line = choice.line;
    const Level effective = choice.effective;
    const std::uint64_t line_number = selector_.line_number();
    line_open_ = true;
    // Attribute values here are letters, digits, '_', '-' and '#': no quotes needed.
    out_.append("<li");
    if (const std::string_view css = level_class(effective); !css.empty()) {
        out_.append(" class=");
        out_.append(css);
    }
    char digits[24];
    const std::string_view number = format_number(digits, line_number);
    if (line_number != last_shown_ + 1) {
        // After lines left out the count goes on from here (counter-set applies after the
        // item's increment). Browsers do not apply the value attribute to CSS counters, and
        // a counter-reset here would start a counter of this item's own.
        out_.append(" style=\"counter-set:l ");
        out_.append(number);
        out_.push_back('"');
    }
    last_shown_ = line_number;
    out_.append(" id=L");
    out_.append(number);
    out_.append("><a href=#L");
    out_.append(number);
    out_.append("></a>");
    std::string_view rest = first_piece;
    if (line.timestamp_count > 0) {
        render_text(rest.substr(0, line.timestamp_begin));
        const std::string_view stamp = rest.substr(line.timestamp_begin, line.timestamp_count);
        const bool owns_anchor =
            line.has_anchor &&
            (!has_anchor_ || std::memcmp(line.anchor.data(), last_anchor_.data(), line.anchor.size()) > 0);
        if (owns_anchor) {
            last_anchor_ = line.anchor;
            has_anchor_ = true;
            const std::string_view anchor(line.anchor.data(), line.anchor.size());
            out_.append("<a id=");
            out_.append(anchor);
            out_.append(" href=#");
            out_.append(anchor);
            out_.append(">");
            append_log_text(out_, stamp);
            out_.append("</a>");
        } else {
            append_log_text(out_, stamp);
        }
        rest.remove_prefix(line.timestamp_begin + line.timestamp_count);
    }
    render_text(rest);
}

void LogPage::continue_line(std::string_view piece) {
    if (line_open_) {
        render_text(piece);
    }
}

void LogPage::close_line() {
    if (line_open_) {
        out_.push_back('\n');  // the item ends at the next one or at the list's end
        line_open_ = false;
    }
}

namespace {

// Where the next "req-" starts at or after pos, or npos. It looks for the rare 'q' with
// memchr: memmem and string_view::find cost more per line than the rest of the rendering.
std::size_t find_request_prefix(std::string_view text, std::size_t pos) {
    for (std::size_t from = pos + 2; from < text.size();) {
        const void* q = std::memchr(text.data() + from, 'q', text.size() - from);
        if (q == nullptr) {
            break;
        }
        const std::size_t at = static_cast<const char*>(q) - text.data();
        if (text[at - 2] == 'r' && text[at - 1] == 'e' && at + 1 < text.size() && text[at + 1] == '-') {
            return at - 2;
        }
        from = at + 1;
    }
    return std::string_view::npos;
}

}  // namespace

// Page text with every "req-<uuid>" made a link that greps for it.
void LogPage::render_text(std::string_view text) {
    std::size_t pos = 0;
    while (true) {
        const std::size_t found = find_request_prefix(text, pos);
        if (found == std::string_view::npos) {
            break;
        }
        if (!is_request_id_at(text, found)) {
            append_log_text(out_, text.substr(pos, found + 4 - pos));
            pos = found + 4;
            continue;
        }
        append_log_text(out_, text.substr(pos, found - pos));
        const std::string_view id = text.substr(found, kRequestIdLength);
        out_.append("<a href=?grep=");
        out_.append(id.substr(4));  // the UUID alone finds the same lines; hex digits and dashes only
        out_.append(">");
        out_.append(id);
        out_.append("</a>");
        pos = found + kRequestIdLength;
    }
    append_log_text(out_, text.substr(pos));
}

void LogPage::notice(std::string_view text) {
    close_line();
    out_.append("</ol><p class=m>");
    append_log_text(out_, text);
    out_.append("</p><ol>");
    last_shown_ = 0;  // the next list counts from the next line's number
}

void LogPage::end() {
    close_line();
    const std::uint64_t shown = selector_.shown();
    out_.append("</ol>\n<footer>");
    append_number(out_, shown);
    out_.append(shown == 1 ? " line shown of " : " lines shown of ");
    append_number(out_, selector_.line_number());
    if (limit_reached()) {
        out_.append(" read: stopped at the limit of ");
        append_number(out_, options_.limit);
        out_.append(" lines");
    } else if (shown == 0 && selector_.line_number() > 0) {
        out_.append(": no line matched");
    }
    out_.append(". <a href=\"?raw\">Raw file</a></footer>\n</body></html>\n");
}

}  // namespace artifacts
