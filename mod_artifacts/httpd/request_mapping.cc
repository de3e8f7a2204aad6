// From URL to file: maps the part of the request path below the ArtifactsEngine
// <Location> onto ArtifactsRoot, then lets Apache's own machinery (directory walk, core
// handler with sendfile, Range and ETag) do the serving. Directories go to the index
// handler; a missing name.ext answers from name.ext.gz. The disk is one source of the
// serving chain (serving_chain.h), which the fixup walks.
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

#include <exception>
#include <new>
#include <string_view>

#include "../core/index/index_model.h"
#include "../core/http/content_type.h"
#include "../core/http/negotiation.h"
#include "../core/policy/path_policy.h"
#include "module.h"
#include "serving_chain.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

bool is_artifact_request(request_rec* r, const DirConfig* conf) {
    return conf != nullptr && conf->engine == 1 && r->filename != nullptr && request_state(r) != nullptr;
}

// As mod_dir does: a directory holding index.html is answered by that file.
bool serve_index_html(request_rec* r) {
    request_rec* sub = ap_sub_req_lookup_uri("index.html", r, r->output_filters);
    if (sub->status == HTTP_OK && sub->finfo.filetype == APR_REG) {
        ap_internal_fast_redirect(sub, r);
        return true;
    }
    ap_destroy_sub_req(sub);
    return false;
}

// foo.txt is missing but foo.txt.gz exists (legacy compressed logs, or an upload stored
// compressed): send the compressed bytes to clients that take gzip, inflate for others.
// A log page is made from the compressed bytes: HTMLIFY decodes them itself.
bool answer_from_gzip_sibling(request_rec* r, bool log_page) {
    // The directory walk may have moved the missing last segment into path_info.
    const char* compressed = apr_pstrcat(r->pool, request_state(r)->file, ".gz", nullptr);
    apr_finfo_t info;
    if (apr_stat(&info, compressed, APR_FINFO_MIN, r->pool) != APR_SUCCESS || info.filetype != APR_REG) {
        return false;
    }
    const char* slash = strrchr(r->uri, '/');
    const char* name = apr_pstrcat(r->pool, slash != nullptr ? slash + 1 : r->uri, ".gz", nullptr);
    SiblingFile sibling;
    if (!sibling_is_allowed(r, name, &sibling) || sibling.info.filetype != APR_REG || sibling.filename == nullptr ||
        strcmp(sibling.filename, compressed) != 0) {
        return false;
    }
    r->filename = const_cast<char*>(sibling.filename);
    r->path_info = nullptr;
    r->finfo = sibling.info;
    negotiate_gzip(r, log_page);
    return true;
}

// name.ext.gz asked for by name, whose inner type ArtifactsGzipInnerTypes lists: that type,
// or nullptr (the file is sent as the bytes it is).
const char* gzip_inner_type(request_rec* r, const DirConfig* conf) {
    const char* slash = strrchr(r->uri, '/');
    const ContentType type = content_type_for(slash != nullptr ? slash + 1 : r->uri);
    if (type.encoding != "gzip") {
        return nullptr;
    }
    bool listed = false;
    if (conf->gzip_inner_types == nullptr) {
        for (const std::string_view pattern : kDefaultGzipInnerTypes) {
            listed = listed || media_type_matches(pattern, type.media_type);
        }
    } else {
        for (int i = 0; i < conf->gzip_inner_types->nelts; ++i) {
            listed =
                listed || media_type_matches(APR_ARRAY_IDX(conf->gzip_inner_types, i, const char*), type.media_type);
        }
    }
    return listed ? apr_pstrmemdup(r->pool, type.media_type.data(), type.media_type.size()) : nullptr;
}

// A compressed log asked for by its .gz name (console.html.gz, job-output.json.gz) is sent
// as what it holds, with Content-Encoding: gzip to clients that take it and decoded for
// the others, as logs.openstack.org served them: a browser shows it, Zuul's web UI parses
// it. A log page is left to HTMLIFY, which decodes the bytes itself.
void serve_gz_name_as_its_content(request_rec* r, const DirConfig* conf, bool log_page) {
    const char* inner = log_page ? nullptr : gzip_inner_type(r, conf);
    if (inner == nullptr) {
        return;
    }
    if (SwiftSource* source = request_state(r)->swift) {
        if (source->from_catalogue && !source->compressed_name && !source->stored_encoding.empty()) {
            return;  // a .gz name uploaded with Content-Encoding: gzip: compressed twice, sent as stored
        }
        source->content_type = inner;
        source->inflate = negotiate_gzip(r, false);
        return;
    }
    ap_set_content_type(r, inner);
    r->content_encoding = nullptr;  // mod_mime's x-gzip, if it gave one
    negotiate_gzip(r, false);
}

}  // namespace

bool sibling_is_allowed(request_rec* r, const char* name, SiblingFile* file) {
    RequestState* state = ensure_request_state(r);
    state->looking_up_sibling = true;
    request_rec* sub = ap_sub_req_lookup_uri(ap_escape_path_segment(r->pool, name), r, nullptr);
    state->looking_up_sibling = false;
    const bool allowed = sub->status == HTTP_OK;
    if (file != nullptr) {
        file->filename = sub->filename != nullptr ? apr_pstrdup(r->pool, sub->filename) : nullptr;
        file->info = sub->finfo;
        file->info.pool = r->pool;
    }
    ap_destroy_sub_req(sub);
    return allowed;
}

bool client_accepts_gzip(const request_rec* r) {
    const char* accept_encoding = apr_table_get(r->headers_in, "Accept-Encoding");
    return accept_encoding != nullptr && accepts_gzip(accept_encoding);
}

bool negotiate_gzip(request_rec* r, bool log_page) {
    apr_table_mergen(r->headers_out, "Vary", "Accept-Encoding");
    if (log_page) {
        return false;
    }
    if (client_accepts_gzip(r)) {
        r->content_encoding = "gzip";
        return false;
    }
    decode_for_this_client(r);
    return true;
}

bool asks_for_module_index(request_rec* r) {
    const DirConfig* conf = dir_config(r);
    return (r->args != nullptr && query_parameter(r->args, "format").has_value()) ||
           (conf != nullptr && conf->index_html == 0);
}

int redirect_to_directory(request_rec* r) {
    const char* location =
        apr_pstrcat(r->pool, ap_escape_uri(r->pool, r->uri), "/", r->args != nullptr ? "?" : "", r->args, nullptr);
    apr_table_setn(r->headers_out, "Location", ap_construct_url(r->pool, location, r));
    return HTTP_MOVED_PERMANENTLY;
}

RequestState* ensure_request_state(request_rec* r) {
    RequestState* state = request_state(r);
    if (state == nullptr) {
        state = new (apr_pcalloc(r->pool, sizeof(RequestState))) RequestState();
        ap_set_module_config(r->request_config, &artifacts_module, state);
    }
    return state;
}

int translate_artifact_path(request_rec* r) {
    const DirConfig* conf = dir_config(r);
    if (conf == nullptr || conf->engine != 1 || r->proxyreq != PROXYREQ_NONE || r->uri == nullptr || r->uri[0] != '/') {
        return DECLINED;
    }
    const auto relative = path_below_location(r->uri, conf->location);
    if (!relative) {
        return DECLINED;
    }
    // httpd has already decoded and normalised r->uri; what could still escape the root
    // is refused rather than cleaned. Other odd bytes (a backslash is an ordinary byte on
    // POSIX) may be in legacy file names and are served.
    const PathProblem problem = check_served_path(*relative);
    if (problem != PathProblem::None) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ARTF_LOGNO(0101) "refused request path: %s",
                      describe(problem).data());
        return HTTP_BAD_REQUEST;
    }
    if (names_temporary_file(*relative)) {
        return HTTP_NOT_FOUND;
    }
    const char* root = artifact_root(r, conf);
    RequestState* state = ensure_request_state(r);
    // relative is a suffix of r->uri, so it is NUL-terminated.
    state->relative_path = relative->data();
    state->file = apr_pstrcat(r->pool, root, "/", state->relative_path, nullptr);
    r->filename = apr_pstrdup(r->pool, state->file);
    r->canonical_filename = r->filename;
    return OK;
}

int fixup_artifact_request(request_rec* r) {
    const DirConfig* conf = dir_config(r);
    if (!is_artifact_request(r, conf) ||
        (r->main != nullptr && request_state(r->main) != nullptr && request_state(r->main)->looking_up_sibling)) {
        return DECLINED;  // a sibling's look-up is only asked whether the walk and access checks let it be read
    }
    if (r->handler != nullptr && strcmp(r->handler, kMetricsHandler) == 0) {
        return DECLINED;  // SetHandler artifacts-metrics in a <Location> below the artifacts: the counters
    }
    if (conf->cors_origin != nullptr && conf->cors_origin[0] != '\0' && r->method_number == M_GET) {
        apr_table_setn(r->err_headers_out, "Access-Control-Allow-Origin", conf->cors_origin);
        if (strcmp(conf->cors_origin, "*") != 0) {
            apr_table_mergen(r->err_headers_out, "Vary", "Origin");
        }
    }
    if (r->method_number == M_PUT || r->method_number == M_POST) {
        r->handler = kUploadHandler;
        return OK;
    }
    if (r->method_number != M_GET) {
        return DECLINED;
    }
    if (r->main == nullptr) {
        set_stored_content_policy(r, conf);
    }
    // The requested name decides, so foo.txt served from foo.txt.gz matches "*.txt".
    const char* slash = strrchr(r->uri, '/');
    const bool htmlify = matches_any_pattern(conf->htmlify, slash != nullptr ? slash + 1 : r->uri);
    // ?format=ndjson asks for any file's lines explicitly; the page is for the files named.
    const bool ndjson = wants_ndjson(r);
    const bool log_page = ndjson || (htmlify && wants_log_page(r));
    const Routed routed = route_request(r, log_page);
    if (routed.status == OK && routed.file) {
        if (htmlify || ndjson) {
            ap_add_output_filter(kHtmlifyFilter, nullptr, r, r->connection);
        }
        if (routed.by_name) {
            serve_gz_name_as_its_content(r, conf, log_page);
        }
    }
    return routed.status;
}

Routed route_disk(request_rec* r, bool log_page) {
    if (r->finfo.filetype == APR_DIR) {
        if (r->uri[0] == '\0' || r->uri[strlen(r->uri) - 1] != '/') {
            return Routed{redirect_to_directory(r)};
        }
        if (r->main == nullptr && dir_config(r)->index_html != 0 && serve_index_html(r)) {
            return Routed{OK};
        }
        r->handler = kIndexHandler;
        return Routed{OK};
    }
    if (r->finfo.filetype != APR_NOFILE) {
        return Routed{OK, true, true};  // Apache's core handler sends it (or refuses what is no file)
    }
    try {
        if (answer_from_gzip_sibling(r, log_page)) {
            return Routed{OK, true, false};
        }
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0106) "cannot answer %s from its .gz: %s", r->uri,
                      e.what());
        return Routed{HTTP_INTERNAL_SERVER_ERROR};
    }
    return Routed{};
}

}  // namespace artifacts::httpd
