// What every translation unit of the module shares: the module record, its
// per-directory configuration and the message ids of its log lines.
#pragma once

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>

#include <cstdint>

#include "../core/token/kinds.h"
#include "../core/policy/path_policy.h"
#include "../core/token/token.h"
#include "storage.h"

extern "C" module AP_MODULE_DECLARE_DATA artifacts_module;

// Every error-log line starts with a stable id ("ARTF0104: ...") that operators grep for;
// docs/operations.md lists them.
#define ARTF_LOGNO(n) "ARTF" #n ": "

namespace artifacts::httpd {

struct DirConfig {
    int engine = -1;                             // -1 unset, 0 Off, 1 On
    const char* location = nullptr;              // the <Location> ArtifactsEngine was switched on in
    const char* root = nullptr;                  // ArtifactsRoot, without a trailing "/"
    const char* cors_origin = nullptr;           // ArtifactsCORS value; "" when switched off
    int index = -1;                              // ArtifactsIndex: -1 unset (On), 0 Off, 1 On
    int index_html = -1;                         // ArtifactsIndexHtml: -1 unset (On), 0 Off, 1 On
    apr_array_header_t* index_ignore = nullptr;  // const char* glob patterns
    // Uploads. A nested section that sets keys or kinds replaces the
    // enclosing list, so merging a request's configuration copies no table.
    KeyRing* keys = nullptr;         // ArtifactsTokenKey lines
    KindTable* kinds = nullptr;      // ArtifactsKind lines
    apr_int64_t leeway = -1;         // ArtifactsTokenLeeway, seconds (-1 unset: 60)
    apr_int64_t max_lifetime = -1;   // ArtifactsTokenMaxLifetime, seconds (-1 unset: 24 h)
    apr_int64_t max_file_size = -1;  // ArtifactsMaxFileSize, bytes (-1 unset: 2 GiB)
    int sync = -1;                   // ArtifactsSync: -1 unset (On), 0 Off, 1 On
    // ArtifactsHtmlify: const char* file name patterns; an empty list is Off. A nested
    // section that sets it replaces the enclosing list.
    apr_array_header_t* htmlify = nullptr;
    bool htmlify_off = false;                // not merged: this section said ArtifactsHtmlify Off (a parse check)
    apr_int64_t htmlify_max_bytes = -1;      // ArtifactsHtmlifyMaxBytes (-1 unset: 8 GiB)
    apr_array_header_t* compress = nullptr;  // ArtifactsCompress patterns (empty: Off)
    bool compress_off = false;               // not merged: this section said ArtifactsCompress Off
    // ArtifactsContentPolicy and ArtifactsFrameAncestors: nullptr unset (the defaults), "" Off.
    const char* content_policy = nullptr;
    const char* frame_ancestors = nullptr;
    // ArtifactsGzipInnerTypes: const char* media types ("text/*"); nullptr unset (the
    // defaults), empty for None. A nested section that sets it replaces the enclosing list.
    apr_array_header_t* gzip_inner_types = nullptr;
};

constexpr apr_int64_t kDefaultLeeway = 60;
constexpr apr_int64_t kDefaultMaxLifetime = 24 * 3600;
constexpr apr_int64_t kDefaultMaxFileSize = apr_int64_t{2} << 30;
constexpr apr_int64_t kDefaultHtmlifyMaxBytes = apr_int64_t{8} << 30;

// Per virtual host: where the ledger lives and which <Location>s take uploads (the raw
// request path is judged before httpd normalises it, so before <Location> is resolved).
struct ServerConfig {
    const char* state_dir = nullptr;                 // ArtifactsStateDir
    apr_array_header_t* engine_locations = nullptr;  // const char*: every ArtifactsEngine On location
    bool has_keys = false;                           // some ArtifactsTokenKey in this host
    StorageConfig storage;                           // catalogue and Swift (storage_config.cc)
    apr_array_header_t* notify = nullptr;            // NotifyConfig: every ArtifactsNotify of this host
};

// One ArtifactsNotify line.
struct NotifyConfig {
    const char* url;
    const char* key;  // the HMAC key, read from key-file= at start-up
    apr_size_t key_length;
    bool seal;
    bool file;
};

// What a 503 asks clients to wait, in seconds (a backend away, an upload in progress).
inline constexpr char kRetryAfterSeconds[] = "30";

// Below ArtifactsStateDir.
inline constexpr char kLedgerDirectory[] = "ledger";
inline constexpr char kPendingDirectory[] = "pending";
inline constexpr char kStagingDirectory[] = "staging";  // archives on their way to Swift
inline constexpr char kOutboxDirectory[] = "outbox";    // events not delivered yet (notify.cc)

inline ServerConfig* server_config(server_rec* s) {
    return static_cast<ServerConfig*>(ap_get_module_config(s->module_config, &artifacts_module));
}

// The handler names the fixup gives directories that get an index and uploads.
inline constexpr char kIndexHandler[] = "artifacts-index";
inline constexpr char kUploadHandler[] = "artifacts-upload";
// SetHandler artifacts-metrics: the counters, in Prometheus's text format.
inline constexpr char kMetricsHandler[] = "artifacts-metrics";
// The output filter that renders logs as pages; AddOutputFilter and FilterProvider use the name too.
inline constexpr char kHtmlifyFilter[] = "HTMLIFY";
// The output filter that decodes gzip bytes for a client that does not accept gzip.
inline constexpr char kGunzipFilter[] = "ARTIFACTS_GUNZIP";

// What translate_name learnt about a request below an ArtifactsEngine location.
// Uploads are judged on the raw path the client sent (post_read_request), everything
// on what translate_name mapped.
struct RequestState {
    const char* relative_path = nullptr;                  // below the location / ArtifactsRoot, "" for the top
    const char* file = nullptr;                           // ArtifactsRoot + relative_path, before the directory walk
    PathProblem upload_path_problem = PathProblem::None;  // of the raw path of a PUT/POST
    const char* query_token = nullptr;                    // ?token=, taken out of the logged request line
    bool upload_body_read = false;                        // a refusal after this can keep the connection
    SwiftSource* swift = nullptr;                         // answered from Swift (route_to_storage)
    bool looking_up_sibling = false;                      // sibling_is_allowed() runs a sub-request
    bool catalogue_unreachable = false;                   // the catalogue could not be asked
};

// A response of gzip bytes (name.gz on disk, an object stored gzip): sent as they are to
// clients that take gzip and to HTMLIFY (a log page, which decodes them itself), decoded by
// ARTIFACTS_GUNZIP for the others. True when it was added (request_mapping.cc).
bool negotiate_gzip(request_rec* r, bool log_page);
// Whether the request's Accept-Encoding takes gzip (no header: it does not).
bool client_accepts_gzip(const request_rec* r);

// Whether another name in the request's directory (foo.txt.gz for foo.txt) may be answered:
// a sub-request for its URL runs the directory walk (Options, symlinks) and every access
// check as if it had been asked for by name, as mod_negotiation does for its variants. The
// file, when given, receives what the walk found (request_mapping.cc).
struct SiblingFile {
    const char* filename = nullptr;
    apr_finfo_t info{};
};
bool sibling_is_allowed(request_rec* r, const char* name, SiblingFile* file = nullptr);

// 301 to the same URL with a trailing slash (request_mapping.cc).
int redirect_to_directory(request_rec* r);
// "?format=json" or "?format=html", or ArtifactsIndexHtml Off: the module's own index of a
// directory in Swift, even one holding index.html (request_mapping.cc). On disk mod_dir's
// DirectoryIndex runs first.
bool asks_for_module_index(request_rec* r);

// The request's state, created on first use.
RequestState* ensure_request_state(request_rec* r);

inline RequestState* request_state(request_rec* r) {
    return static_cast<RequestState*>(ap_get_module_config(r->request_config, &artifacts_module));
}

inline DirConfig* dir_config(request_rec* r) {
    return static_cast<DirConfig*>(ap_get_module_config(r->per_dir_config, &artifacts_module));
}

// ArtifactsRoot, or the vhost's DocumentRoot when it is not set.
inline const char* artifact_root(request_rec* r, const DirConfig* conf) {
    return conf->root != nullptr ? conf->root : ap_document_root(r);
}

void* create_dir_config(apr_pool_t* pool, char* context);
void* merge_dir_config(apr_pool_t* pool, void* base, void* add);
void* create_server_config(apr_pool_t* pool, server_rec* s);
void* merge_server_config(apr_pool_t* pool, void* base, void* add);
extern const command_rec directives[];

// The hooks, one file each.
int translate_artifact_path(request_rec* r);
int fixup_artifact_request(request_rec* r);
int handle_directory_index(request_rec* r);
int capture_upload_path(request_rec* r);
int handle_upload(request_rec* r);
int prepare_state_dirs(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
// Drops every privilege of root for good, to the children's user and group (state_dirs.cc).
bool become_httpd_user();

// ArtifactsNotify (notify.cc): the directive, the events a commit adds to the outbox, and
// the one delivery process of the server, started by the parent.
const char* add_notify(cmd_parms* cmd, void* config, int argc, char* const argv[]);
int check_notify_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
int start_notifier(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
int check_upload_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
int sweep_abandoned_uploads(apr_pool_t* pool, server_rec* s);

// The shared counters, their handler and mod_status's line (metrics_handler.cc).
void register_metrics_hooks();

// Whether a file name matches one of the shell-glob patterns of ArtifactsIndexIgnore or
// ArtifactsHtmlify (none when patterns is null) (config.cc).
bool matches_any_pattern(const apr_array_header_t* patterns, const char* name);

// What browsers may do with an answer (response_policy.cc). Every GET/HEAD below an
// ArtifactsEngine location says nosniff; stored bytes get ArtifactsContentPolicy and a
// definite Content-Type, the module's own pages a policy under which nothing runs.
void set_stored_content_policy(request_rec* r, const DirConfig* conf);
void set_generated_page_policy(request_rec* r);

// ARTIFACTS_GUNZIP (gunzip_filter.cc).
void register_gunzip_filter();
// This response's gzip bytes are decoded for this client: sent whole (its Range dropped),
// with validators of the decoded representation ("etag-gunzip") taken as the stored one's.
void decode_for_this_client(request_rec* r);

// HTMLIFY (htmlify_filter.cc).
void register_htmlify_filter();
// A browser's GET for the whole file: not HEAD, Range, ?raw, a sub-request or a */* client.
bool wants_log_page(request_rec* r);
// A GET of a whole file with ?format=ndjson: the log's lines as JSON, whichever file it is.
bool wants_ndjson(request_rec* r);

}  // namespace artifacts::httpd
