// The HTMLIFY output filter, in mod_deflate's style: it takes each brigade bucket
// by bucket, hands the bytes to the core's Htmlifier (which keeps only the partial last
// line), passes the page on in blocks as it grows, and honours FLUSH and EOS. It decides
// once, on the first brigade, whether this response becomes a page at all.
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_connection.h>
#include <util_filter.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>
#include <new>

#include "../core/htmlify/htmlify.h"
#include "../core/http/negotiation.h"
#include "../core/metrics/metrics.h"
#include "brigade_sink.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// Input is handed to the engine in slices of this size, so that one slice of a compressed
// log (up to about a thousand times larger decoded) is a bounded piece of work.
constexpr std::size_t kSlice = 64 * 1024;
// How much log the engine takes between two looks at whether the client is still there:
// a page that writes nothing (a grep that matches nothing) never learns it from a write.
constexpr std::uint64_t kProbeEvery = 4 * 1024 * 1024;

HtmlifyOptions options_for(request_rec* r) {
    HtmlifyOptions options = htmlify_options_from_query(r->args != nullptr ? r->args : "");
    options.title = r->uri;
    const DirConfig* conf = dir_config(r);
    options.max_bytes = static_cast<std::uint64_t>(
        conf != nullptr && conf->htmlify_max_bytes != -1 ? conf->htmlify_max_bytes : kDefaultHtmlifyMaxBytes);
    return options;
}

// Whether the client closed or reset its connection, asked of the socket without reading.
bool client_gone(conn_rec* c) {
    if (c->aborted) {
        return true;
    }
    apr_socket_t* socket = ap_get_conn_socket(c);
    apr_os_sock_t fd = -1;
    if (socket == nullptr || apr_os_sock_get(&fd, socket) != APR_SUCCESS || fd < 0) {
        return false;
    }
    char byte = 0;
    const ssize_t got = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

struct HtmlifyContext {
    explicit HtmlifyContext(ap_filter_t* f)
        : sink(f),
          engine(
              options_for(f->r), sink,
              [this, r = f->r](HtmlifyResult result, bool decoded_gzip) {
                  fix_headers(r, result, decoded_gzip);
                  if (result != HtmlifyResult::Html) {
                      page = true;
                      compress_page(r);
                  }
              },
              wants_ndjson(f->r) ? LogFormat::Ndjson : LogFormat::Page) {}

    // A page is about 1.5 times its log: sent gzip-encoded (a fast level, flushed as the
    // page flushes) to clients that take it, which every browser does.
    void compress_page(request_rec* r) {
        apr_table_mergen(r->headers_out, "Vary", "Accept-Encoding");
        if (client_accepts_gzip(r)) {
            r->content_encoding = "gzip";
            sink.encode_gzip();
        }
    }

    // Headers describe the raw file until here; what is sent from now on is another representation.
    static void fix_headers(request_rec* r, HtmlifyResult result, bool decoded_gzip) {
        if (result == HtmlifyResult::Html && !decoded_gzip) {
            return;  // the file's own bytes, with the file's own headers
        }
        apr_table_unset(r->headers_out, "Content-Length");
        apr_table_unset(r->headers_out, "ETag");
        apr_table_unset(r->headers_out, "Accept-Ranges");
        apr_table_unset(r->headers_out, "Content-Encoding");
        r->content_encoding = nullptr;
        if (result == HtmlifyResult::Html) {
            // The stored bytes, decoded: still of the file's own type and under the stored
            // content's policy (an HTML file uploaded as a .txt is not served as HTML).
            return;
        }
        ap_set_content_type(
            r, result == HtmlifyResult::Ndjson ? "application/x-ndjson; charset=utf-8" : "text/html; charset=utf-8");
        // The page is built from untrusted text: even if escaping ever failed, nothing in it may run.
        set_generated_page_policy(r);
    }

    BrigadeSink sink;
    Htmlifier engine;
    bool ended = false;
    bool page = false;            // a log page, not HTML passed through
    std::uint64_t probed_at = 0;  // engine.log_bytes() when the client was last looked for
};

apr_status_t destroy_context(void* data) {
    static_cast<HtmlifyContext*>(data)->~HtmlifyContext();
    return APR_SUCCESS;
}

void log_damage(request_rec* r, const HtmlifyContext& ctx) {
    if (!ctx.engine.damage().empty()) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, ARTF_LOGNO(0301) "%s: %s; the page stops there", r->filename,
                      ctx.engine.damage().c_str());
    }
    if (ctx.engine.over_budget()) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      ARTF_LOGNO(0304) "the page of %s stopped after %" APR_UINT64_T_FMT
                                       " bytes of log (ArtifactsHtmlifyMaxBytes)",
                      r->filename, static_cast<apr_uint64_t>(ctx.engine.log_bytes()));
    }
}

// Feeds one bucket's bytes in slices; APR_ECONNABORTED when the client has gone meanwhile.
apr_status_t feed(ap_filter_t* f, HtmlifyContext& ctx, std::string_view data) {
    while (!data.empty() && !ctx.engine.done()) {
        ctx.engine.feed(data.substr(0, kSlice));
        data.remove_prefix(std::min(kSlice, data.size()));
        if (ctx.engine.log_bytes() - ctx.probed_at >= kProbeEvery) {
            ctx.probed_at = ctx.engine.log_bytes();
            if (client_gone(f->c)) {
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, f->r,
                              ARTF_LOGNO(0305) "the client of the page of %s went away: it is not read further",
                              f->r->filename);
                f->c->aborted = 1;
                return APR_ECONNABORTED;
            }
        }
    }
    return APR_SUCCESS;
}

// At the EOS of the file, or earlier when the rest need not be read (eos is then null).
apr_status_t end_page(ap_filter_t* f, HtmlifyContext& ctx, apr_bucket* eos) {
    ctx.engine.finish();
    log_damage(f->r, ctx);
    ctx.ended = true;
    if (ctx.page) {
        metrics::record_log_page(ctx.engine.log_bytes(), ctx.sink.written());
    }
    if (eos == nullptr) {
        return ctx.sink.finish();
    }
    ctx.sink.pass_bucket(eos);
    return ctx.sink.status();
}

apr_status_t htmlify_brigade(ap_filter_t* f, HtmlifyContext& ctx, apr_bucket_brigade* in) {
    while (!APR_BRIGADE_EMPTY(in)) {
        apr_bucket* bucket = APR_BRIGADE_FIRST(in);
        if (APR_BUCKET_IS_EOS(bucket)) {
            const apr_status_t status = end_page(f, ctx, bucket);
            apr_brigade_cleanup(in);
            return status;
        }
        if (APR_BUCKET_IS_FLUSH(bucket)) {
            ctx.engine.flush();
            ctx.sink.pass_bucket(bucket);
        } else if (APR_BUCKET_IS_METADATA(bucket)) {
            ctx.sink.pass_bucket(bucket);
        } else {
            const char* data = nullptr;
            apr_size_t length = 0;
            const apr_status_t status = apr_bucket_read(bucket, &data, &length, APR_BLOCK_READ);
            if (status != APR_SUCCESS) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, status, f->r, ARTF_LOGNO(0302) "cannot read %s to htmlify it",
                              f->r->filename);
                return status;
            }
            const apr_status_t fed = feed(f, ctx, std::string_view(data, length));
            apr_bucket_delete(bucket);
            if (fed != APR_SUCCESS) {
                return fed;
            }
        }
        if (ctx.sink.status() != APR_SUCCESS) {
            return ctx.sink.status();  // the client went away
        }
        if (ctx.engine.done()) {
            // ?limit= reached or the compressed file is damaged: the rest is not read.
            apr_brigade_cleanup(in);
            return end_page(f, ctx, nullptr);
        }
    }
    return APR_SUCCESS;
}

apr_status_t htmlify_filter(ap_filter_t* f, apr_bucket_brigade* in) {
    request_rec* r = f->r;
    auto* ctx = static_cast<HtmlifyContext*>(f->ctx);
    if (ctx == nullptr) {
        if (APR_BRIGADE_EMPTY(in)) {
            return APR_SUCCESS;
        }
        apr_table_mergen(r->headers_out, "Vary", "Accept");
        if (r->status != HTTP_OK || !(wants_ndjson(r) || wants_log_page(r))) {
            ap_remove_output_filter(f);
            return ap_pass_brigade(f->next, in);
        }
        try {
            ctx = new (apr_palloc(r->pool, sizeof(HtmlifyContext))) HtmlifyContext(f);
        } catch (const std::exception& e) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0303) "cannot htmlify %s: %s", r->filename, e.what());
            return APR_ENOMEM;
        }
        apr_pool_cleanup_register(r->pool, ctx, destroy_context, apr_pool_cleanup_null);
        f->ctx = ctx;
    }
    if (ctx->ended) {
        apr_brigade_cleanup(in);
        return APR_SUCCESS;
    }
    try {
        const apr_status_t status = htmlify_brigade(f, *ctx, in);
        if (status != APR_SUCCESS) {
            // The client went away or the file could not be read: what follows is not rendered.
            ctx->ended = true;
            apr_brigade_cleanup(in);
        }
        return status;
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0303) "cannot htmlify %s: %s", r->filename, e.what());
        ctx->ended = true;
        apr_brigade_cleanup(in);
        return APR_EGENERAL;
    }
}

}  // namespace

namespace {

// A GET of a whole file, not ?raw, not a sub-request.
bool whole_file_get(request_rec* r) {
    return r->main == nullptr && r->method_number == M_GET && !r->header_only &&
           apr_table_get(r->headers_in, "Range") == nullptr && !(r->args != nullptr && query_parameter(r->args, "raw"));
}

}  // namespace

bool wants_ndjson(request_rec* r) {
    if (!whole_file_get(r) || r->args == nullptr) {
        return false;
    }
    const auto format = query_parameter(r->args, "format");
    return format && *format == "ndjson";
}

bool wants_log_page(request_rec* r) {
    if (!whole_file_get(r)) {
        return false;
    }
    const char* accept = apr_table_get(r->headers_in, "Accept");
    return accept != nullptr && accepts_html(accept);
}

void register_htmlify_filter() {
    ap_register_output_filter(kHtmlifyFilter, htmlify_filter, nullptr, AP_FTYPE_RESOURCE);
}

}  // namespace artifacts::httpd
