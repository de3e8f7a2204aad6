// Events after commit (ArtifactsNotify): what happened, as the JSON body POSTed to a
// receiver, signed with HMAC-SHA256; and the outbox record that keeps one event for one
// receiver until it is delivered, with its attempts and when it is next due.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "../store/log_summary.h"

namespace artifacts {

struct Event {
    std::string kind;  // "seal" or "file"
    std::string id;    // the idempotency key: the same for every delivery of this event
    std::string scope;
    std::string url;   // of the sealed scope, or of the stored file
    std::string path;  // the stored file ("file" events)
    std::string build;
    std::string job;
    std::string jti;
    std::uint64_t files = 0;                    // "seal": the token's files; "file": 1
    std::uint64_t bytes = 0;                    // "seal": the token's bytes; "file": the file's
    std::string sha256;                         // "file"
    std::int64_t time = 0;                      // Unix seconds of the commit
    std::optional<LogSummary> summary;          // "file": the log's
    std::optional<ScopeSummary> scope_summary;  // "seal": the scope's logs
};

// {"event","id","scope","url",...,"summary"}: one line of JSON.
std::string event_json(const Event& event);

// "sha256=<hex of HMAC-SHA256(key, body)>", the X-Artifacts-Signature of a delivery.
std::string event_signature(std::string_view key, std::string_view body);

// One event for one receiver, as the outbox keeps it.
struct OutboxRecord {
    std::string url;  // the receiver
    std::string event_id;
    std::string kind;
    // event_signature(key, body), made by the child that committed, which holds the key: the
    // delivery process only forwards it, so a record written into the outbox by anyone else
    // with the httpd user's rights carries no signature a receiver accepts.
    std::string signature;
    unsigned attempts = 0;
    std::int64_t created = 0;
    std::int64_t next_attempt = 0;
    std::string body;  // event_json
};

// "artifacts-outbox 1\n" then a line of fields and the body: a few hundred bytes.
std::string format_outbox_record(const OutboxRecord& record);
// nullopt for anything this did not write (a damaged or foreign file).
std::optional<OutboxRecord> parse_outbox_record(std::string_view stored);

// Seconds to wait after `attempts` failed deliveries: 1, 2, 4 ... capped at 300, plus up to
// a fifth more from `jitter` (0..999), so receivers coming back are not hit all at once.
std::int64_t retry_delay(unsigned attempts, unsigned jitter);

// Deliveries are given up this long after the event (logged), so a receiver gone for good
// does not keep an outbox growing forever.
constexpr std::int64_t kEventLifetime = 3 * 24 * 3600;

}  // namespace artifacts
