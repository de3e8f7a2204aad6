// What the upload API answers: the JSON bodies, the headers that go with a refusal,
// and an error-log line for each refusal.
#pragma once

#include <httpd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "../backends/fs_store.h"
#include "../core/policy/refusal.h"

namespace artifacts::httpd {

// Sends `body` as application/json with `status`; returns OK for the handler to return.
int send_json(request_rec* r, int status, const std::string& body);

// Logs the refusal (ARTF0210), adds WWW-Authenticate, Retry-After or Allow where its status
// wants one, closes the connection when the body was left unread, and sends the JSON.
// Every refusal is counted (artifacts_refusals_total).
int send_refusal(request_rec* r, const Refusal& refusal);

// A failure whose cause the caller has logged already: counted and sent as JSON.
int send_failure(request_rec* r, const Refusal& failure);

// The body has been read to its end: a refusal after this may keep the connection.
void mark_body_read(request_rec* r);

// The client's view of a store failure (403 symlink, 409, 507, 500).
Refusal store_refusal(const StoreError& error);

// The absolute URL of `relative` (below ArtifactsRoot) under the <Location> `location`.
std::string artifact_url(request_rec* r, const char* location, std::string_view relative);

// {"path","size","sha256","url"}
void append_stored_file_json(std::string& out, std::string_view relative, std::uint64_t size, const std::string& sha256,
                             const std::string& url);

}  // namespace artifacts::httpd
