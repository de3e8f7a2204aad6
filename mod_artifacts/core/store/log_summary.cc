#include "log_summary.h"

#include <charconv>

#include "../codec/key_values.h"

namespace artifacts {

namespace {

std::optional<std::uint64_t> parse_count(const std::string& text) {
    std::uint64_t value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

void append_pair(std::string& out, std::string_view key, std::uint64_t value) {
    if (!out.empty()) {
        out += ' ';
    }
    out += key;
    out += '=';
    out += std::to_string(value);
}

}  // namespace

std::uint64_t LogSummary::count(std::string_view level) const {
    for (std::size_t index = 0; index < kLevels.size(); ++index) {
        if (kLevels[index] == level) {
            return levels[index];
        }
    }
    return 0;
}

bool LogSummary::operator==(const LogSummary& other) const {
    return levels == other.levels && lines == other.lines && first_error == other.first_error &&
           first_critical == other.first_critical;
}

void ScopeSummary::add(const LogSummary& summary) {
    ++logs;
    if (summary.count("ERROR") + summary.count("CRITICAL") > 0) {
        ++failing;
    }
    lines.lines += summary.lines;
    for (std::size_t index = 0; index < lines.levels.size(); ++index) {
        lines.levels[index] += summary.levels[index];
    }
}

std::string format_log_summary(const LogSummary& summary) {
    std::string out;
    append_pair(out, "lines", summary.lines);
    for (std::size_t index = 0; index < LogSummary::kLevels.size(); ++index) {
        if (summary.levels[index] != 0) {
            append_pair(out, LogSummary::kLevels[index], summary.levels[index]);
        }
    }
    if (summary.first_error != 0) {
        append_pair(out, "first_error", summary.first_error);
    }
    if (summary.first_critical != 0) {
        append_pair(out, "first_critical", summary.first_critical);
    }
    return out;
}

std::optional<LogSummary> parse_log_summary(std::string_view stored) {
    const KeyValues pairs = parse_key_values(stored);
    if (!pairs || pairs.find("lines") == nullptr) {
        return std::nullopt;
    }
    LogSummary summary;
    for (const auto& [key, text] : pairs.pairs) {
        const auto value = parse_count(text);
        if (!value) {
            return std::nullopt;
        }
        if (key == "lines") {
            summary.lines = *value;
        } else if (key == "first_error") {
            summary.first_error = *value;
        } else if (key == "first_critical") {
            summary.first_critical = *value;
        } else {
            bool known = false;
            for (std::size_t index = 0; index < LogSummary::kLevels.size(); ++index) {
                if (LogSummary::kLevels[index] == key) {
                    summary.levels[index] = *value;
                    known = true;
                }
            }
            if (!known) {
                return std::nullopt;
            }
        }
    }
    return summary;
}

void append_log_levels_json(std::string& out, const LogSummary& summary) {
    out += '{';
    bool first = true;
    for (std::size_t index = 0; index < LogSummary::kLevels.size(); ++index) {
        if (summary.levels[index] != 0) {
            out += first ? "\"" : ",\"";
            out += LogSummary::kLevels[index];
            out += "\":";
            out += std::to_string(summary.levels[index]);
            first = false;
        }
    }
    out += '}';
}

void append_log_summary_json(std::string& out, const LogSummary& summary) {
    out += "{\"lines\":";
    out += std::to_string(summary.lines);
    out += ",\"levels\":";
    append_log_levels_json(out, summary);
    out += ",\"first_error\":";
    out += summary.first_error != 0 ? std::to_string(summary.first_error) : "null";
    out += ",\"first_critical\":";
    out += summary.first_critical != 0 ? std::to_string(summary.first_critical) : "null";
    out += '}';
}

}  // namespace artifacts
