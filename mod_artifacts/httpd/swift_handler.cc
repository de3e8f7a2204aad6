// Answers a GET or HEAD from Swift: proxied as a stream, the body passed into
// the brigade piece by piece as Swift sends it, with Range and conditional requests left
// to Swift; or a 302 to a temp URL with ArtifactsSwiftServe redirect.
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <strings.h>

#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "../backends/swift_client.h"
#include "../core/index/swift_listing.h"
#include "brigade_sink.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// What a client may ask of the object itself; passed to Swift as they are.
constexpr const char* kPassedRequestHeaders[] = {"Range",         "If-Range",          "If-Match",
                                                 "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"};
// What Swift says of the object that the client needs.
constexpr const char* kPassedResponseHeaders[] = {"ETag", "Last-Modified", "Content-Range", "Accept-Ranges"};

HttpHeaders request_headers_for(request_rec* r, const SwiftSource& source) {
    HttpHeaders headers;
    // A page or an inflated body is another representation: Swift's ranges and
    // validators are of the stored bytes.
    if (source.log_page || source.inflate) {
        return headers;
    }
    for (const char* name : kPassedRequestHeaders) {
        if (const char* value = apr_table_get(r->headers_in, name)) {
            headers.emplace_back(name, value);
        }
    }
    return headers;
}

// Listing mode: an object stored with Content-Encoding: gzip (zuul-jobs compresses every text
// file so) that this client cannot take as it is.
bool must_decode(request_rec* r, const SwiftSource& source, const HttpResponse& response) {
    if (source.from_catalogue || source.log_page) {
        return false;  // the catalogue decided at the fixup; a log page decodes itself
    }
    const std::string* encoding = response.header("Content-Encoding");
    return encoding != nullptr && strcasecmp(encoding->c_str(), "gzip") == 0 && !client_accepts_gzip(r);
}

void take_response_headers(request_rec* r, const SwiftSource& source, const HttpResponse& response) {
    r->status = static_cast<int>(response.status);
    const bool decoding = source.inflate || must_decode(r, source, response);
    for (const char* name : kPassedResponseHeaders) {
        // Ranges are of the stored bytes: a decoded body is sent whole.
        if (decoding && strcmp(name, "ETag") != 0 && strcmp(name, "Last-Modified") != 0) {
            continue;
        }
        if (const std::string* value = response.header(name)) {
            // Swift sends its ETag bare; HTTP's entity-tags are quoted (caches compare them so).
            const bool bare_etag = strcmp(name, "ETag") == 0 && !value->empty() && value->front() != '"' &&
                                   value->compare(0, 2, "W/") != 0;
            apr_table_setn(r->headers_out, name,
                           bare_etag ? apr_pstrcat(r->pool, "\"", value->c_str(), "\"", nullptr)
                                     : apr_pstrdup(r->pool, value->c_str()));
        }
    }
    const std::string* swift_type = response.header("Content-Type");
    if (!source.content_type.empty()) {
        ap_set_content_type(r, apr_pstrdup(r->pool, source.content_type.c_str()));
    } else if (swift_type != nullptr) {
        ap_set_content_type(r, apr_pstrdup(r->pool, swift_type->c_str()));
    }
    if (!source.from_catalogue) {
        if (const std::string* encoding = response.header("Content-Encoding")) {
            if (strcasecmp(encoding->c_str(), "gzip") == 0 && !source.log_page) {
                negotiate_gzip(r, false);  // sent as stored, or decoded for this client
            } else {
                r->content_encoding = apr_pstrdup(r->pool, encoding->c_str());
            }
        }
    }
    const std::string* length = response.header("Content-Length");
    if (length != nullptr && !decoding && (response.status == HTTP_OK || response.status == 206)) {
        apr_off_t bytes = 0;
        if (apr_strtoff(&bytes, length->c_str(), nullptr, 10) == APR_SUCCESS) {
            ap_set_content_length(r, bytes);
        }
    }
}

int redirect_to_temp_url(request_rec* r, SwiftClient& swift, const SwiftSource& source, const StorageConfig& storage) {
    const apr_int64_t lifetime = storage.redirect_lifetime != -1 ? storage.redirect_lifetime : kDefaultRedirectLifetime;
    const std::string url =
        swift.temp_url("GET", source.container, source.object, apr_time_sec(r->request_time) + lifetime);
    apr_table_setn(r->headers_out, "Location", apr_pstrdup(r->pool, url.c_str()));
    // An error response (a 302 is one to httpd) keeps err_headers_out only.
    apr_table_setn(r->err_headers_out, "Cache-Control",
                   apr_psprintf(r->pool, "private, max-age=%" APR_INT64_T_FMT, lifetime / 2));
    return HTTP_MOVED_TEMPORARILY;
}

// Listing mode: "a/b" is no object, but Swift holds objects below "a/b/".
bool is_pseudo_folder(SwiftClient& swift, const SwiftSource& source) {
    const std::string listing = swift.list(source.container, source.object + "/", "/", "", 1);
    return listing.size() > 2;
}

// The body has started and Swift broke off: the client must see a truncated response,
// so the connection is closed after what was sent.
void abort_response(request_rec* r) {
    apr_bucket_brigade* brigade = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(brigade,
                            ap_bucket_error_create(HTTP_BAD_GATEWAY, nullptr, r->pool, r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(brigade, apr_bucket_eos_create(r->connection->bucket_alloc));
    ap_pass_brigade(r->output_filters, brigade);
}

int proxy_object(request_rec* r, SwiftClient& swift, const SwiftSource& source, bool may_follow = true) {
    BrigadeSink sink(r);
    bool body_started = false;
    bool marker = false;       // listing mode: the name is a directory marker, not a file
    bool again_whole = false;  // listing mode: a range of gzip bytes for a client that cannot take gzip
    apr_uint64_t received = 0;
    try {
        const HttpResponse response = swift.fetch(
            r->header_only != 0, source.container, source.object, request_headers_for(r, source),
            [&](const HttpResponse& head) {
                const std::string* type = head.header("Content-Type");
                marker = !source.from_catalogue && head.status == HTTP_OK && type != nullptr &&
                         is_directory_marker_type(*type);
                // A range of compressed bytes is no use to a client that must get them decoded.
                again_whole = head.status == HTTP_PARTIAL_CONTENT && must_decode(r, source, head);
                if (!marker && !again_whole &&
                    (head.status < 300 || head.status == HTTP_NOT_MODIFIED || head.status == 416)) {
                    take_response_headers(r, source, head);
                }
            },
            [&](std::string_view piece) {
                if (marker || again_whole) {
                    return false;
                }
                body_started = true;
                received += piece.size();
                // curl's buffer is reused after this returns: the core output filter writes it
                // at once or sets it aside.
                sink.write_transient(piece);
                // A log page that reached its ?limit= has sent its end: the rest is not fetched.
                return sink.status() == APR_SUCCESS && !r->eos_sent;
            });
        if (marker) {
            return redirect_to_directory(r);  // as Swift's staticweb does
        }
        if (again_whole) {
            SwiftSource whole = source;
            whole.inflate = true;  // asks without Range or validators, and decodes
            return proxy_object(r, swift, whole, may_follow);
        }
        switch (response.status) {
        case HTTP_OK:
        case HTTP_PARTIAL_CONTENT:
            if (r->eos_sent) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                              ARTF_LOGNO(0409) "%s ended after %" APR_UINT64_T_FMT
                                               " bytes from Swift; the rest of %s/%s is not read",
                              r->uri, received, source.container.c_str(), source.object.c_str());
                return OK;
            }
            if (sink.finish() != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, sink.status(), r,
                              ARTF_LOGNO(0405) "client went away while %s was sent", r->uri);
                return AP_FILTER_ERROR;
            }
            return OK;
        case HTTP_NOT_MODIFIED:
            // Sent as a response of its own, not an error page: it keeps Swift's validators.
            r->status = HTTP_NOT_MODIFIED;
            sink.finish();
            return OK;
        case HTTP_PRECONDITION_FAILED: r->status = HTTP_OK; return HTTP_PRECONDITION_FAILED;
        case 416: r->status = HTTP_OK; return HTTP_RANGE_NOT_SATISFIABLE;
        case HTTP_NOT_FOUND:
            if (source.from_catalogue) {
                // An overwrite may have committed a new row and deleted this object since the
                // fixup read the row: the new object is served, once.
                if (std::optional<SwiftSource> moved = may_follow ? source_moved(r, source) : std::nullopt) {
                    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                                  ARTF_LOGNO(0410) "%s was overwritten while it was asked for: %s/%s replaces %s/%s",
                                  r->uri, moved->container.c_str(), moved->object.c_str(), source.container.c_str(),
                                  source.object.c_str());
                    return proxy_object(r, swift, *moved, false);
                }
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              ARTF_LOGNO(0404) "the catalogue lists %s but Swift has no object %s/%s", r->uri,
                              source.container.c_str(), source.object.c_str());
            } else if (source.directory_page) {
                r->handler = kIndexHandler;  // no index.html: the module's index of the directory
                return handle_directory_index(r);
            } else if (is_pseudo_folder(swift, source)) {
                return redirect_to_directory(r);
            }
            return HTTP_NOT_FOUND;
        default:
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0406) "Swift answered %ld for %s/%s", response.status,
                          source.container.c_str(), source.object.c_str());
            return HTTP_BAD_GATEWAY;
        }
    } catch (const HttpUnavailable& e) {
        if (!body_started) {
            throw;
        }
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0407) "Swift broke off while %s was sent: %s", r->uri,
                      e.what());
        abort_response(r);
        return OK;
    }
}

}  // namespace

int answer_swift_unavailable(request_rec* r, const HttpUnavailable& e) {
    static std::atomic<apr_time_t> last_logged{0};
    if (rate_limit_allows(last_logged)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0403) "Swift unavailable: %s", e.what());
    }
    r->status = HTTP_OK;
    apr_table_setn(r->err_headers_out, "Retry-After", kRetryAfterSeconds);
    return HTTP_SERVICE_UNAVAILABLE;
}

int handle_swift_object(request_rec* r) {
    if (r->handler == nullptr || strcmp(r->handler, kSwiftHandler) != 0) {
        return DECLINED;
    }
    r->allowed |= AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    const RequestState* state = request_state(r);
    const StorageConfig& storage = server_config(r->server)->storage;
    if (state == nullptr || state->swift == nullptr || storage.swift == nullptr) {
        return HTTP_NOT_FOUND;
    }
    const SwiftSource& source = *state->swift;
    try {
        if (storage.serve == SwiftServe::Redirect && !source.log_page && !source.inflate) {
            return redirect_to_temp_url(r, *storage.swift, source, storage);
        }
        return proxy_object(r, *storage.swift, source);
    } catch (const HttpUnavailable& e) {
        return answer_swift_unavailable(r, e);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0408) "cannot answer %s from Swift: %s", r->uri,
                      e.what());
        return HTTP_BAD_GATEWAY;
    }
}

}  // namespace artifacts::httpd
