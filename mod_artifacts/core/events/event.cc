#include "event.h"

#include <charconv>

#include "../codec/digest.h"
#include "../codec/escape.h"

namespace artifacts {

namespace {

constexpr std::string_view kOutboxMagic = "artifacts-outbox 1\n";

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out += ",\"";
    out += name;
    out += "\":";
    append_json_string(out, value);
}

void append_number(std::string& out, std::string_view name, std::uint64_t value) {
    out += ",\"";
    out += name;
    out += "\":";
    out += std::to_string(value);
}

template <typename Number>
bool parse_number(std::string_view text, Number& value) {
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    return result.ec == std::errc() && result.ptr == text.data() + text.size() && !text.empty();
}

// The next space-separated field of `line`, taken off it.
std::string_view take_field(std::string_view& line) {
    const std::size_t space = line.find(' ');
    const std::string_view field = line.substr(0, space);
    line.remove_prefix(space == std::string_view::npos ? line.size() : space + 1);
    return field;
}

bool plain_field(std::string_view text) {
    for (const char c : text) {
        if (c <= ' ' || c == 0x7F) {
            return false;
        }
    }
    return !text.empty();
}

}  // namespace

std::string event_json(const Event& event) {
    std::string out = "{\"event\":";
    append_json_string(out, event.kind);
    append_field(out, "id", event.id);
    append_field(out, "scope", event.scope);
    append_field(out, "url", event.url);
    if (!event.path.empty()) {
        append_field(out, "path", event.path);
    }
    append_field(out, "build", event.build);
    append_field(out, "job", event.job);
    append_field(out, "jti", event.jti);
    append_number(out, "files", event.files);
    append_number(out, "bytes", event.bytes);
    if (!event.sha256.empty()) {
        append_field(out, "sha256", event.sha256);
    }
    append_number(out, "time", static_cast<std::uint64_t>(event.time));
    out += ",\"summary\":";
    if (event.summary) {
        append_log_summary_json(out, *event.summary);
    } else if (event.scope_summary) {
        const ScopeSummary& scope = *event.scope_summary;
        out += "{\"logs\":" + std::to_string(scope.logs) + ",\"failing\":" + std::to_string(scope.failing) +
               ",\"lines\":" + std::to_string(scope.lines.lines) + ",\"levels\":";
        append_log_levels_json(out, scope.lines);
        out += '}';
    } else {
        out += "null";
    }
    out += '}';
    return out;
}

std::string event_signature(std::string_view key, std::string_view body) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::string mac = hmac_sha256(key, body);
    std::string out = "sha256=";
    for (const char byte : mac) {
        out += kHex[static_cast<unsigned char>(byte) >> 4];
        out += kHex[static_cast<unsigned char>(byte) & 0x0F];
    }
    return out;
}

std::string format_outbox_record(const OutboxRecord& record) {
    std::string out(kOutboxMagic);
    out += record.event_id + ' ' + record.kind + ' ' + record.signature + ' ' + std::to_string(record.attempts) + ' ' +
           std::to_string(record.created) + ' ' + std::to_string(record.next_attempt) + ' ' + record.url + '\n';
    out += record.body;
    out += '\n';
    return out;
}

std::optional<OutboxRecord> parse_outbox_record(std::string_view stored) {
    if (stored.substr(0, kOutboxMagic.size()) != kOutboxMagic || stored.empty() || stored.back() != '\n') {
        return std::nullopt;
    }
    stored.remove_prefix(kOutboxMagic.size());
    const std::size_t newline = stored.find('\n');
    if (newline == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view line = stored.substr(0, newline);
    OutboxRecord record;
    record.event_id = std::string(take_field(line));
    record.kind = std::string(take_field(line));
    record.signature = std::string(take_field(line));
    if (!parse_number(take_field(line), record.attempts) || !parse_number(take_field(line), record.created) ||
        !parse_number(take_field(line), record.next_attempt)) {
        return std::nullopt;
    }
    record.url = std::string(line);
    record.body = std::string(stored.substr(newline + 1, stored.size() - newline - 2));
    if (!plain_field(record.event_id) || !plain_field(record.kind) || !plain_field(record.signature) ||
        !plain_field(record.url) || record.body.find('\n') != std::string::npos) {
        return std::nullopt;
    }
    return record;
}

std::int64_t retry_delay(unsigned attempts, unsigned jitter) {
    const std::int64_t base = attempts >= 9 ? 300 : std::min<std::int64_t>(300, std::int64_t{1} << attempts);
    return base + base * static_cast<std::int64_t>(jitter % 1000) / 5000;
}

}  // namespace artifacts
