#include "index_render.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "../http/content_type.h"
#include "../codec/escape.h"

namespace artifacts {

namespace {

constexpr std::size_t kFlushThreshold = 16 * 1024;

// Collects small appends and hands them to the sink in blocks.
class BlockWriter {
public:
    explicit BlockWriter(Sink& sink) : sink_(sink) { buffer_.reserve(kFlushThreshold + 1024); }
    ~BlockWriter() { flush(); }
    BlockWriter(const BlockWriter&) = delete;
    BlockWriter& operator=(const BlockWriter&) = delete;

    std::string& buffer() { return buffer_; }
    void maybe_flush() {
        if (buffer_.size() >= kFlushThreshold) {
            flush();
        }
    }
    void flush() {
        if (!buffer_.empty()) {
            sink_.write(buffer_);
            buffer_.clear();
        }
    }

private:
    Sink& sink_;
    std::string buffer_;
};

bool format_utc(std::int64_t unix_seconds, const char* pattern, char* out, std::size_t size) {
    const auto seconds = static_cast<std::time_t>(unix_seconds);
    std::tm parts{};
    if (gmtime_r(&seconds, &parts) == nullptr) {
        return false;
    }
    return std::strftime(out, size, pattern, &parts) > 0;
}

constexpr std::string_view kStyle =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;margin:0;"
    "color:#1f2328;background:#fff}"
    "header{padding:.75rem 1rem;background:#f6f8fa;border-bottom:1px solid #d0d7de}"
    "h1{font-size:1.1rem;margin:0;word-break:break-all}"
    "h1 a{color:#0969da;text-decoration:none}h1 a:hover{text-decoration:underline}"
    "main{padding:0 1rem 1rem}"
    "table{border-collapse:collapse;width:100%;font-size:.95rem}"
    "th,td{padding:.3rem .6rem;text-align:left;white-space:nowrap}"
    "th{border-bottom:1px solid #d0d7de;font-weight:600}"
    "th a{color:inherit}"
    "td.name{white-space:normal;word-break:break-all;width:100%}"
    "td.size,th.size{text-align:right}"
    "tbody tr:nth-child(even){background:#f6f8fa}"
    "tbody tr:hover{background:#eaeef2}"
    "a{color:#0969da}tr.dir a{font-weight:600}"
    "footer{padding:.5rem 1rem;color:#57606a;font-size:.85rem}"
    "a.lv{display:inline-block;margin-left:.5rem;padding:0 .45rem;border-radius:.7rem;font-size:.8rem;"
    "font-weight:600;text-decoration:none;white-space:nowrap}"
    "a.lv.C{background:#b00;color:#fff}a.lv.E{background:#ffd7d7;color:#a00}a.lv.W{background:#fff1c7;color:#7a4d00}"
    "@media (max-width:600px){td.mtime,th.mtime{display:none}}";

void append_breadcrumbs(std::string& out, std::string_view url_path) {
    out.append("<a href=\"/\">/</a>");
    std::size_t start = 1;
    while (start < url_path.size()) {
        const std::size_t slash = url_path.find('/', start);
        const std::size_t end = slash == std::string_view::npos ? url_path.size() : slash;
        out.append("<a href=\"");
        append_url_encoded_path(out, url_path.substr(0, end + 1));
        out.append("\">");
        append_html_escaped(out, url_path.substr(start, end - start));
        out.append("</a>/");
        start = end + 1;
    }
}

void append_sort_header(std::string& out, const SortOrder& current, SortKey key, char letter, std::string_view label,
                        std::string_view css_class) {
    const bool active = current.key == key;
    const bool next_descending = active && !current.descending;
    out.append("<th class=\"").append(css_class).append("\"");
    if (active) {
        out.append(current.descending ? " aria-sort=\"descending\"" : " aria-sort=\"ascending\"");
    }
    out.append("><a href=\"?C=");
    out.push_back(letter);
    out.append(next_descending ? ";O=D" : ";O=A");
    out.append("\">").append(label);
    if (active) {
        out.append(current.descending ? " \xE2\x96\xBC" : " \xE2\x96\xB2");
    }
    out.append("</a></th>");
}

}  // namespace

std::string human_size(std::uint64_t bytes) {
    if (bytes < 1024) {
        return std::to_string(bytes) + " B";
    }
    static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
    return text;
}

std::string format_listing_time(std::int64_t unix_seconds) {
    char text[32];
    return format_utc(unix_seconds, "%Y-%m-%d %H:%M", text, sizeof text) ? text : "";
}

std::string format_iso8601(std::int64_t unix_seconds) {
    char text[32];
    return format_utc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ", text, sizeof text) ? text : "";
}

namespace {

// A log's badges beside its name: how many CRITICAL, ERROR and WARNING lines it has, each a
// link to the log page filtered to that level (at the first such line, where it is known),
// so the failing log among forty is found without opening each.
void append_summary_badges(std::string& out, const IndexEntry& entry) {
    const LogSummary& summary = *entry.summary;
    struct Badge {
        std::string_view level;
        std::string_view css;
        std::uint64_t first;
    };
    for (const Badge& badge : {Badge{"CRITICAL", "C", summary.first_critical}, Badge{"ERROR", "E", summary.first_error},
                               Badge{"WARNING", "W", 0}}) {
        const std::uint64_t count = summary.count(badge.level);
        if (count == 0) {
            continue;
        }
        out.append(" <a class=\"lv ").append(badge.css).append("\" href=\"./");
        append_url_encoded_segment(out, entry.name);
        out.append("?level=").append(badge.level);
        if (badge.first != 0) {
            out.append("#L").append(std::to_string(badge.first));
        }
        out.append("\" title=\"").append(std::to_string(count)).append(" ").append(badge.level);
        out.append(count == 1 ? " line" : " lines");
        if (badge.first != 0) {
            out.append(", the first at line ").append(std::to_string(badge.first));
        }
        out.append("\">").append(std::to_string(count)).append(" ").append(badge.level).append("</a>");
    }
}

}  // namespace

void render_html_index(const IndexPage& page, Sink& sink) {
    BlockWriter writer(sink);
    std::string& out = writer.buffer();
    out.append(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>Index of ");
    append_html_escaped(out, page.url_path);
    out.append("</title>\n<style>").append(kStyle).append("</style>\n</head>\n<body>\n<header><h1>Index of ");
    append_breadcrumbs(out, page.url_path);
    out.append("</h1></header>\n<main>\n<table>\n<thead><tr>");
    append_sort_header(out, page.order, SortKey::Name, 'N', "Name", "name");
    append_sort_header(out, page.order, SortKey::Modified, 'M', "Last modified (UTC)", "mtime");
    append_sort_header(out, page.order, SortKey::Size, 'S', "Size", "size");
    out.append("</tr></thead>\n<tbody>\n");
    if (page.has_parent) {
        out.append(
            "<tr class=\"dir parent\"><td class=\"name\"><a href=\"../\">../</a></td>"
            "<td class=\"mtime\"></td><td class=\"size\"></td></tr>\n");
    }
    std::size_t directories = 0;
    std::uint64_t total_bytes = 0;
    for (const IndexEntry& entry : page.entries) {
        out.append(entry.is_directory ? "<tr class=\"dir\"><td class=\"name\"><a href=\"./"
                                      : "<tr><td class=\"name\"><a href=\"./");
        append_url_encoded_segment(out, entry.name);
        out.append(entry.is_directory ? "/\">" : "\">");
        append_html_escaped(out, entry.name);
        out.append(entry.is_directory ? "/</a>" : "</a>");
        if (entry.summary) {
            append_summary_badges(out, entry);
        }
        out.append("</td><td class=\"mtime\">");
        // 0: a pseudo-folder of a Swift listing (no marker) has no time of its own.
        out.append(entry.mtime != 0 ? format_listing_time(entry.mtime) : "-");
        if (entry.is_directory) {
            ++directories;
            out.append("</td><td class=\"size\">-</td></tr>\n");
        } else {
            total_bytes += entry.size;
            out.append("</td><td class=\"size\" title=\"")
                .append(std::to_string(entry.size))
                .append(entry.size_as_stored ? " bytes as stored in Swift (compressed, if it was stored so)\">"
                                             : " bytes\">")
                .append(human_size(entry.size))
                .append("</td></tr>\n");
        }
        writer.maybe_flush();
    }
    const std::size_t files = page.entries.size() - directories;
    out.append("</tbody>\n</table>\n</main>\n<footer>")
        .append(std::to_string(directories))
        .append(directories == 1 ? " directory, " : " directories, ")
        .append(std::to_string(files))
        .append(files == 1 ? " file, " : " files, ")
        .append(human_size(total_bytes))
        .append("</footer>\n</body>\n</html>\n");
}

void render_json_index(const IndexPage& page, Sink& sink) {
    BlockWriter writer(sink);
    std::string& out = writer.buffer();
    out.append("{\"path\":");
    append_json_string(out, page.url_path);
    out.append(",\"entries\":[");
    bool first = true;
    for (const IndexEntry& entry : page.entries) {
        out.append(first ? "\n{\"name\":" : ",\n{\"name\":");
        first = false;
        append_json_string(out, entry.name);
        out.append(",\"href\":\"");
        append_url_encoded_segment(out, entry.name);
        if (entry.is_directory) {
            out.append("/\",\"type\":\"directory\",\"size\":0");
        } else {
            out.append("\",\"type\":\"file\",\"size\":").append(std::to_string(entry.size));
            if (entry.size_as_stored) {
                out.append(",\"size_as_stored\":true");
            }
        }
        if (entry.mtime != 0) {
            out.append(",\"mtime\":\"").append(format_iso8601(entry.mtime)).append("\"");
        } else {
            out.append(",\"mtime\":null");
        }
        if (!entry.is_directory) {
            const ContentType type = content_type_for(entry.name);
            out.append(",\"content_type\":\"").append(type.media_type).append("\"");
            if (!type.encoding.empty()) {
                out.append(",\"content_encoding\":\"").append(type.encoding).append("\"");
            }
            if (entry.summary) {
                out.append(",\"summary\":");
                append_log_summary_json(out, *entry.summary);
            }
        }
        out.push_back('}');
        writer.maybe_flush();
    }
    out.append("\n]}\n");
}

}  // namespace artifacts
