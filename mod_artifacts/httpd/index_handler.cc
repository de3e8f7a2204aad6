// The directory index: entries read in one pass from each source of the serving chain
// (serving_chain.h), sorted as asked, rendered as HTML for people or JSON for tools,
// streamed into the brigade.
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <limits.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <string_view>

#include "../backends/fs_directory.h"
#include "../backends/swift_client.h"
#include "../core/index/index_render.h"
#include "../core/http/negotiation.h"
#include "../core/metrics/metrics.h"
#include "brigade_sink.h"
#include "pool_resource.h"
#include "module.h"
#include "serving_chain.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

bool wants_json(request_rec* r) {
    if (r->args != nullptr) {
        if (const auto format = query_parameter(r->args, "format")) {
            return *format == "json";
        }
    }
    const char* accept = apr_table_get(r->headers_in, "Accept");
    return accept != nullptr && prefers_json(accept);
}

bool matches_name(const apr_array_header_t* patterns, std::string_view name) {
    // fnmatch wants a C string; a directory entry's name is at most NAME_MAX bytes.
    char terminated[NAME_MAX + 1];
    const std::size_t length = std::min(name.size(), std::size_t{NAME_MAX});
    std::memcpy(terminated, name.data(), length);
    terminated[length] = '\0';
    return matches_any_pattern(patterns, terminated);
}

NameFilter ignore_filter(const DirConfig* conf) {
    if (conf->index_ignore == nullptr || conf->index_ignore->nelts == 0) {
        return {};
    }
    const apr_array_header_t* patterns = conf->index_ignore;
    return [patterns](std::string_view name) { return matches_name(patterns, name); };
}

// The files whose log summaries the index shows: those ArtifactsHtmlify names (a name.gz
// stored from a gzip upload of name too), the files a summary was made for at upload.
NameFilter summarised_filter(const DirConfig* conf) {
    if (conf->htmlify == nullptr || conf->htmlify->nelts == 0) {
        return {};
    }
    const apr_array_header_t* patterns = conf->htmlify;
    return [patterns](std::string_view name) {
        constexpr std::string_view kGz = ".gz";
        const bool gz = name.size() > kGz.size() && name.substr(name.size() - kGz.size()) == kGz;
        return matches_name(patterns, name) || (gz && matches_name(patterns, name.substr(0, name.size() - kGz.size())));
    };
}

}  // namespace

int list_disk(request_rec* r, const NameFilter& hide, IndexEntries& entries) {
    if (r->finfo.filetype != APR_DIR) {
        return DECLINED;
    }
    const int error = read_directory(r->filename, hide, entries, summarised_filter(dir_config(r)));
    if (error == 0) {
        return OK;
    }
    ap_log_rerror(APLOG_MARK, error == ENOENT || error == ENOTDIR ? APLOG_INFO : APLOG_ERR, error, r,
                  ARTF_LOGNO(0102) "cannot read directory %s", r->filename);
    if (error == ENOENT || error == ENOTDIR) {
        return DECLINED;  // removed between the directory walk and now
    }
    return error == EACCES ? HTTP_FORBIDDEN : HTTP_INTERNAL_SERVER_ERROR;
}

namespace {

int render_index(request_rec* r, const DirConfig* conf) {
    PoolResource request_memory(r->pool);
    IndexEntries entries(&request_memory);
    if (const int status = list_directory(r, ignore_filter(conf), entries); status != OK) {
        return status;
    }
    const SortOrder order = parse_sort_order(r->args != nullptr ? r->args : "");
    sort_entries(entries, order);

    const bool json = wants_json(r);
    ap_set_content_type(r, json ? "application/json" : "text/html; charset=utf-8");
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache");
    set_generated_page_policy(r);
    // Gzip-encoded for clients that take it: an index of thousands of entries shrinks tenfold.
    apr_table_mergen(r->headers_out, "Vary", "Accept-Encoding");
    const bool compress = client_accepts_gzip(r);
    if (compress) {
        r->content_encoding = "gzip";
    }
    metrics::record_index_page(json ? metrics::IndexFormat::Json : metrics::IndexFormat::Html);
    if (r->header_only) {
        return OK;
    }
    const RequestState* state = request_state(r);
    const IndexPage page{r->uri, state != nullptr && state->relative_path[0] != '\0', order, entries};
    BrigadeSink sink(r);
    if (compress) {
        sink.encode_gzip();
    }
    if (json) {
        render_json_index(page, sink);
    } else {
        render_html_index(page, sink);
    }
    const apr_status_t status = sink.finish();
    if (status != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, status, r, ARTF_LOGNO(0103) "index of %s not fully sent", r->uri);
        return AP_FILTER_ERROR;
    }
    return OK;
}

}  // namespace

int handle_directory_index(request_rec* r) {
    if (r->handler == nullptr || strcmp(r->handler, kIndexHandler) != 0) {
        return DECLINED;
    }
    r->allowed |= AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    const DirConfig* conf = dir_config(r);
    if (conf->index == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      ARTF_LOGNO(0104) "directory index refused by ArtifactsIndex Off: %s", r->filename);
        return HTTP_FORBIDDEN;
    }
    try {
        return render_index(r, conf);
    } catch (const HttpUnavailable& e) {
        return answer_swift_unavailable(r, e);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0105) "directory index of %s failed: %s", r->filename,
                      e.what());
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

}  // namespace artifacts::httpd
