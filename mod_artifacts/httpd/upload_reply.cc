#include "upload_reply.h"

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>

#include "../core/codec/escape.h"
#include "../core/metrics/metrics.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// WWW-Authenticate carries the reason as a quoted-string: no quotes, backslashes or
// control characters in it.
const char* quoted_description(apr_pool_t* pool, const std::string& reason) {
    std::string safe;
    for (const char c : reason) {
        safe.push_back(c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ? '\'' : c);
    }
    return apr_psprintf(pool, "Bearer error=\"invalid_token\", error_description=\"%s\"", safe.c_str());
}

}  // namespace

int send_json(request_rec* r, int status, const std::string& body) {
    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
    if (!r->header_only) {
        ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    }
    return OK;
}

void mark_body_read(request_rec* r) {
    ensure_request_state(r)->upload_body_read = true;
}

int send_refusal(request_rec* r, const Refusal& refusal) {
    metrics::record_refusal(refusal.code);
    const int level = refusal.status >= 500 ? APLOG_ERR : APLOG_INFO;
    ap_log_rerror(APLOG_MARK, level, 0, r, ARTF_LOGNO(0210) "upload refused (%d %s): %s", refusal.status,
                  refusal.code.c_str(), refusal.message.c_str());
    if (refusal.status == HTTP_UNAUTHORIZED) {
        apr_table_setn(r->headers_out, "WWW-Authenticate", quoted_description(r->pool, refusal.message));
    } else if (refusal.status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->headers_out, "Retry-After", kRetryAfterSeconds);
    } else if (refusal.status == HTTP_METHOD_NOT_ALLOWED) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
    }
    const RequestState* state = request_state(r);
    const bool body_read = state != nullptr && state->upload_body_read;
    if (!body_read && (r->read_chunked || r->remaining > 0 || apr_table_get(r->headers_in, "Content-Length"))) {
        // Do not read a refused body just to throw it away: close after answering.
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return send_json(r, refusal.status, refusal_json(refusal));
}

int send_failure(request_rec* r, const Refusal& failure) {
    metrics::record_refusal(failure.code);
    return send_json(r, failure.status, refusal_json(failure));
}

Refusal store_refusal(const StoreError& error) {
    switch (error.kind()) {
    case StoreError::Kind::Symlink: return {HTTP_FORBIDDEN, "symlink", error.what()};
    case StoreError::Kind::NotDirectory: return {HTTP_CONFLICT, "not_a_directory", error.what()};
    case StoreError::Kind::NoSpace:
        return {HTTP_INSUFFICIENT_STORAGE, "disk_full", "the artifact store is full; nothing was stored"};
    case StoreError::Kind::TooLarge:
        return {HTTP_INSUFFICIENT_STORAGE, "disk_full",
                "the artifact store cannot hold a file this large; nothing was stored"};
    case StoreError::Kind::Io: break;
    }
    return {HTTP_INTERNAL_SERVER_ERROR, "store_error", "the artifact store failed; nothing was stored"};
}

std::string artifact_url(request_rec* r, const char* location, std::string_view relative) {
    std::string path = location;
    if (path.empty() || path.back() != '/') {
        path.push_back('/');
    }
    append_url_encoded_path(path, relative);
    return ap_construct_url(r->pool, path.c_str(), r);
}

void append_stored_file_json(std::string& out, std::string_view relative, std::uint64_t size, const std::string& sha256,
                             const std::string& url) {
    out += "{\"path\":";
    append_json_string(out, relative);
    out += ",\"size\":" + std::to_string(size) + ",\"sha256\":\"" + sha256 + "\",\"url\":";
    append_json_string(out, url);
    out += "}";
}

}  // namespace artifacts::httpd
