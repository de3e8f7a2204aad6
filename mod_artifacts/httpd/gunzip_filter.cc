// The GUNZIP output filter: decodes a response of gzip bytes (name.gz on disk, an object
// stored with Content-Encoding: gzip) for a client that does not accept gzip. It is the
// core's streaming decoder, block by block, so memory stays flat however large the log and
// however well it compressed (no inflate-ratio limit cuts a repetitive log short), several
// members decode whole, and a client that goes away stops the decoding at its next write.
// The decoded body is another representation: no Content-Length, no ranges, its own ETag.
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

#include <exception>
#include <new>
#include <string>

#include "../core/codec/gunzip.h"
#include "brigade_sink.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

constexpr char kEtagSuffix[] = "-gunzip";

struct GunzipContext {
    explicit GunzipContext(ap_filter_t* f) : sink(f) {}
    BrigadeSink sink;
    GzipDecoder decoder;
    bool ended = false;
};

// A HEAD's body (the core handler sends the file all the same) is dropped here, or the
// content-length filter would count the stored bytes.
apr_status_t drop_body(ap_filter_t* f, apr_bucket_brigade* in) {
    for (apr_bucket* bucket = APR_BRIGADE_FIRST(in); bucket != APR_BRIGADE_SENTINEL(in);) {
        apr_bucket* next = APR_BUCKET_NEXT(bucket);
        if (!APR_BUCKET_IS_METADATA(bucket)) {
            apr_bucket_delete(bucket);
        }
        bucket = next;
    }
    return ap_pass_brigade(f->next, in);
}

apr_status_t destroy_context(void* data) {
    static_cast<GunzipContext*>(data)->~GunzipContext();
    return APR_SUCCESS;
}

// "abc" becomes "abc-gunzip" (W/ kept): a cache must not take the decoded bytes for the stored ones.
void mark_etag(request_rec* r) {
    const char* etag = apr_table_get(r->headers_out, "ETag");
    if (etag == nullptr) {
        return;
    }
    const std::size_t length = strlen(etag);
    if (length >= 2 && etag[length - 1] == '"') {
        apr_table_setn(r->headers_out, "ETag",
                       apr_pstrcat(r->pool, apr_pstrmemdup(r->pool, etag, length - 1), kEtagSuffix, "\"", nullptr));
    } else {
        apr_table_unset(r->headers_out, "ETag");
    }
}

// What the client gets is decoded: the stored bytes' length, ranges and encoding do not apply.
void describe_decoded(request_rec* r) {
    apr_table_unset(r->headers_out, "Content-Length");
    apr_table_unset(r->headers_out, "Content-Range");
    apr_table_unset(r->headers_out, "Content-Encoding");
    apr_table_setn(r->headers_out, "Accept-Ranges", "none");
    r->content_encoding = nullptr;
    mark_etag(r);
}

// The stored bytes are not gzip after all, or end early: what was sent must not look
// whole. Before the headers this is a 502 answer; after them the connection closes
// without the chunked stream's end (as mod_proxy does for a backend that breaks off).
apr_status_t break_off(ap_filter_t* f, GunzipContext& ctx, const char* why) {
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, f->r,
                  ARTF_LOGNO(0306) "cannot decode %s for a client without gzip: %s; the response is cut short",
                  f->r->filename != nullptr ? f->r->filename : f->r->uri, why);
    ctx.ended = true;
    apr_bucket_brigade* brigade = apr_brigade_create(f->r->pool, f->c->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(brigade, ap_bucket_error_create(HTTP_BAD_GATEWAY, nullptr, f->r->pool, f->c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(brigade, apr_bucket_eos_create(f->c->bucket_alloc));
    ap_pass_brigade(f->next, brigade);
    return APR_EGENERAL;
}

apr_status_t decode_brigade(ap_filter_t* f, GunzipContext& ctx, apr_bucket_brigade* in) {
    const auto out = [&ctx](std::string_view block) { ctx.sink.write_transient(block); };
    while (!APR_BRIGADE_EMPTY(in)) {
        apr_bucket* bucket = APR_BRIGADE_FIRST(in);
        if (APR_BUCKET_IS_EOS(bucket)) {
            try {
                ctx.decoder.finish();
            } catch (const GzipError& e) {
                apr_brigade_cleanup(in);
                return break_off(f, ctx, e.what());
            }
            ctx.ended = true;
            ctx.sink.pass_bucket(bucket);
            apr_brigade_cleanup(in);
            return ctx.sink.status();
        }
        if (APR_BUCKET_IS_METADATA(bucket)) {
            ctx.sink.pass_bucket(bucket);  // FLUSH and the rest go on in their place
        } else {
            const char* data = nullptr;
            apr_size_t length = 0;
            const apr_status_t status = apr_bucket_read(bucket, &data, &length, APR_BLOCK_READ);
            if (status != APR_SUCCESS) {
                return status;
            }
            try {
                ctx.decoder.feed(std::string_view(data, length), out);
            } catch (const GzipError& e) {
                apr_brigade_cleanup(in);
                return break_off(f, ctx, e.what());
            }
            apr_bucket_delete(bucket);
        }
        if (ctx.sink.status() != APR_SUCCESS) {
            return ctx.sink.status();  // the client went away: nothing more is decoded
        }
    }
    return APR_SUCCESS;
}

apr_status_t gunzip_filter(ap_filter_t* f, apr_bucket_brigade* in) {
    request_rec* r = f->r;
    auto* ctx = static_cast<GunzipContext*>(f->ctx);
    if (ctx == nullptr) {
        if (APR_BRIGADE_EMPTY(in)) {
            return APR_SUCCESS;
        }
        if (r->status == HTTP_NOT_MODIFIED) {
            mark_etag(r);  // the validator the client sent was the decoded one's
        }
        if (r->status != HTTP_OK) {
            ap_remove_output_filter(f);  // an error page, a 304: not gzip bytes
            return ap_pass_brigade(f->next, in);
        }
        describe_decoded(r);  // for a HEAD too: what a GET would send
        try {
            ctx = new (apr_palloc(r->pool, sizeof(GunzipContext))) GunzipContext(f);
        } catch (const std::exception& e) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0307) "cannot decode %s: %s", r->uri, e.what());
            return APR_ENOMEM;
        }
        apr_pool_cleanup_register(r->pool, ctx, destroy_context, apr_pool_cleanup_null);
        f->ctx = ctx;
    }
    if (r->header_only) {
        return drop_body(f, in);
    }
    if (ctx->ended) {
        apr_brigade_cleanup(in);
        return APR_SUCCESS;
    }
    const apr_status_t status = decode_brigade(f, *ctx, in);
    if (status != APR_SUCCESS) {
        ctx->ended = true;
        apr_brigade_cleanup(in);
    }
    return status;
}

// In a validator list, "x-gunzip" stands for the stored "x": the core handler and Swift
// compare with the stored bytes' ETag, and the decoded bytes change only when they do.
void unmark_validators(request_rec* r, const char* header) {
    const char* value = apr_table_get(r->headers_in, header);
    if (value == nullptr) {
        return;
    }
    std::string list(value);
    const std::string marked = std::string(kEtagSuffix) + "\"";
    for (std::size_t at = list.find(marked); at != std::string::npos; at = list.find(marked, at)) {
        list.erase(at, marked.size() - 1);
    }
    apr_table_setn(r->headers_in, header, apr_pstrdup(r->pool, list.c_str()));
}

}  // namespace

void decode_for_this_client(request_rec* r) {
    // Ranges are of the stored bytes: the decoded body is sent whole (200), as HTTP allows.
    apr_table_unset(r->headers_in, "Range");
    apr_table_unset(r->headers_in, "If-Range");
    unmark_validators(r, "If-None-Match");
    unmark_validators(r, "If-Match");
    ap_add_output_filter(kGunzipFilter, nullptr, r, r->connection);
}

void register_gunzip_filter() {
    // Before HTMLIFY (AP_FTYPE_RESOURCE) and any content filter: it is given the stored bytes.
    ap_register_output_filter(kGunzipFilter, gunzip_filter, nullptr,
                              static_cast<ap_filter_type>(AP_FTYPE_RESOURCE - 1));
}

}  // namespace artifacts::httpd
