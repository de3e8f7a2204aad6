// The path of an upload is judged as the client sent it. httpd would otherwise clean it
// first ("/a/./b" becomes "/a/b", "//" is merged, "%2e%2e" resolved, "%2f" answered 404
// in HTML), while the upload API wants it decoded once and refused, never cleaned, with a JSON
// answer. So before httpd touches it, a PUT or POST below an ArtifactsEngine location is
// decoded and checked here; a clean path is handed on re-encoded (httpd then changes
// nothing), a bad one is replaced by the location itself and its problem remembered for
// the upload handler. Tokens are taken out of the request line that access logs print.
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <string>

#include "../core/codec/escape.h"
#include "../core/index/index_model.h"
#include "../core/http/negotiation.h"
#include "../core/token/token.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// The longest ArtifactsEngine location the decoded path lies below.
const char* enclosing_location(const ServerConfig* conf, std::string_view path) {
    const char* best = nullptr;
    std::size_t best_length = 0;
    for (int i = 0; i < conf->engine_locations->nelts; ++i) {
        const char* location = APR_ARRAY_IDX(conf->engine_locations, i, const char*);
        const std::size_t length = strlen(location);
        if ((best == nullptr || length > best_length) && path_below_location(path, location)) {
            best = location;
            best_length = length;
        }
    }
    return best;
}

void replace_path(request_rec* r, const char* path) {
    r->parsed_uri.path = apr_pstrdup(r->pool, path);
    r->uri = r->parsed_uri.path;
}

// Keeps tokens out of access logs, whatever the method: the request line, the unparsed URI
// and r->args keep every token parameter with its signature redacted (see
// redact_query_tokens). An upload's ?token= is remembered first.
void redact_query(request_rec* r, bool upload) {
    const std::string original(r->args);
    if (upload) {
        if (const auto token = query_token(original)) {
            ensure_request_state(r)->query_token = apr_pstrmemdup(r->pool, token->data(), token->size());
        }
    }
    const std::string redacted = redact_query_tokens(original);
    if (redacted == original) {
        return;
    }
    for (char** line : {&r->the_request, &r->unparsed_uri}) {
        if (*line == nullptr) {
            continue;
        }
        std::string text(*line);
        if (const std::size_t at = text.find("?" + original); at != std::string::npos) {
            text.replace(at + 1, original.size(), redacted);
            *line = apr_pstrmemdup(r->pool, text.data(), text.size());
        }
    }
    r->args = apr_pstrmemdup(r->pool, redacted.data(), redacted.size());
    r->parsed_uri.query = r->args;
}

}  // namespace

int capture_upload_path(request_rec* r) {
    if (r->main != nullptr || r->prev != nullptr) {
        return DECLINED;
    }
    const ServerConfig* conf = server_config(r->server);
    if (conf->engine_locations == nullptr || r->parsed_uri.path == nullptr) {
        return DECLINED;
    }
    const bool upload = r->method_number == M_PUT || r->method_number == M_POST;
    if (!upload) {
        if (r->args != nullptr) {
            const auto decoded = percent_decode(r->parsed_uri.path);
            if (enclosing_location(conf, decoded ? *decoded : std::string(r->parsed_uri.path)) != nullptr) {
                redact_query(r, false);
            }
        }
        return DECLINED;
    }
    // r->unparsed_uri is the request target as sent (httpd already dropped a leading "//"
    // from parsed_uri); an absolute-form target has only parsed_uri.
    std::string_view raw = r->parsed_uri.path;
    if (r->unparsed_uri != nullptr && r->unparsed_uri[0] == '/') {
        raw = r->unparsed_uri;
        raw = raw.substr(0, raw.find('?'));
    }
    PathProblem problem = PathProblem::None;
    const auto decoded = percent_decode(raw);
    const std::string path = decoded ? *decoded : std::string(raw);
    const char* location = enclosing_location(conf, path);
    if (location == nullptr) {
        return DECLINED;
    }
    if (!decoded) {
        problem = PathProblem::BadPercentEncoding;
    } else if (path.find('\0') != std::string::npos) {
        problem = PathProblem::Nul;
    } else {
        const std::string_view relative = *path_below_location(path, location);
        problem = check_storable_path(relative);
        if (problem == PathProblem::None && names_temporary_file(relative)) {
            problem = PathProblem::ReservedName;
        }
    }
    RequestState* state = ensure_request_state(r);
    state->upload_path_problem = problem;
    if (r->args != nullptr) {
        redact_query(r, true);
    }
    if (problem != PathProblem::None) {
        replace_path(r, location);
        return DECLINED;
    }
    std::string encoded;
    append_url_encoded_path(encoded, path);
    replace_path(r, encoded.c_str());
    return DECLINED;
}

}  // namespace artifacts::httpd
