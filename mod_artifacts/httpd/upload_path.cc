// The path of an upload is judged as the client sent it. httpd would otherwise clean it
// first ("/a/./b" becomes "/a/b", "//" is merged, "%2e%2e" resolved, "%2f" answered 404
// in HTML), while SPEC §4 wants it decoded once and refused, never cleaned, with a JSON
// answer. So before httpd touches it, a PUT or POST below an ArtifactsEngine location is
// decoded and checked here; a clean path is handed on re-encoded (httpd then changes
// nothing), a bad one is replaced by the location itself and its problem remembered for
// the upload handler. ?token= is taken out of the request line that access logs print.
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <string>

#include "../core/escape.h"
#include "../core/index_model.h"
#include "../core/negotiation.h"
#include "../core/token.h"
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

// Keeps ?token= out of access logs: the token is remembered, the logged request line
// and r->args keep it with its signature redacted.
void take_query_token(request_rec* r, RequestState* state) {
    const auto raw = query_parameter(r->args, "token");
    if (!raw || raw->empty()) {
        return;
    }
    const auto decoded = percent_decode(*raw);
    if (!decoded) {
        return;
    }
    state->query_token = apr_pstrmemdup(r->pool, decoded->data(), decoded->size());
    const std::string redacted = redact_token(*raw);
    for (char** line : {&r->the_request, &r->unparsed_uri, &r->args}) {
        if (*line == nullptr) {
            continue;
        }
        std::string text(*line);
        if (const std::size_t at = text.find(*raw); at != std::string::npos) {
            text.replace(at, raw->size(), redacted);
            *line = apr_pstrmemdup(r->pool, text.data(), text.size());
        }
    }
    r->parsed_uri.query = r->args;
}

}  // namespace

int capture_upload_path(request_rec* r) {
    if (r->main != nullptr || r->prev != nullptr || (r->method_number != M_PUT && r->method_number != M_POST)) {
        return DECLINED;
    }
    const ServerConfig* conf = server_config(r->server);
    if (conf->engine_locations == nullptr || r->parsed_uri.path == nullptr) {
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
        problem = check_relative_path(relative);
        if (problem == PathProblem::None && names_temporary_file(relative)) {
            problem = PathProblem::ReservedName;
        }
    }
    RequestState* state = ensure_request_state(r);
    state->upload_path_problem = problem;
    if (r->args != nullptr) {
        take_query_token(r, state);
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
