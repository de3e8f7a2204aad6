// Directives that the serving side needs, and how they merge: a value set in a
// nested section overrides the enclosing one, unset values are inherited.
#include <apr_lib.h>
#include <apr_strings.h>
#include <fnmatch.h>
#include <http_core.h>

#include <new>
#include <string>

#include "../backends/secret_file.h"
#include "../core/policy/content_policy.h"
#include "../core/codec/units.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

// httpd declares directive handlers as a K&R-style function pointer when compiled as C++.
template <typename Handler>
cmd_func as_cmd_func(Handler handler) {
    return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(handler));
}

const char* set_engine(cmd_parms* cmd, void* config, int on) {
    auto* conf = static_cast<DirConfig*>(config);
    // The location's path is the root of the artifact tree in URL space, so it has to be
    // a literal prefix: not a regular expression, not a filesystem section.
    if (const char* error = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT & ~NOT_IN_LOCATION)) {
        return error;
    }
    for (const ap_directive_t* section = cmd->directive->parent; section != nullptr; section = section->parent) {
        const bool regex_location =
            strcasecmp(section->directive, "<LocationMatch") == 0 ||
            (strcasecmp(section->directive, "<Location") == 0 && section->args != nullptr && section->args[0] == '~');
        if (regex_location) {
            return apr_pstrcat(cmd->pool, cmd->cmd->name,
                               " needs a plain <Location \"/path\">, not a regular expression", nullptr);
        }
    }
    conf->engine = on ? 1 : 0;
    conf->location = cmd->path != nullptr ? cmd->path : "/";
    if (on) {
        ServerConfig* server = server_config(cmd->server);
        if (server->engine_locations == nullptr) {
            server->engine_locations = apr_array_make(cmd->pool, 2, sizeof(const char*));
        }
        APR_ARRAY_PUSH(server->engine_locations, const char*) = conf->location;
    }
    return nullptr;
}

const char* set_root(cmd_parms* cmd, void* config, const char* path) {
    auto* conf = static_cast<DirConfig*>(config);
    path = ap_server_root_relative(cmd->temp_pool, path);
    if (path == nullptr) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path", nullptr);
    }
    apr_finfo_t info;
    const apr_status_t status = apr_stat(&info, path, APR_FINFO_TYPE, cmd->temp_pool);
    if (status != APR_SUCCESS || info.filetype != APR_DIR) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " '", path, "' is not an existing directory", nullptr);
    }
    char* root = apr_pstrdup(cmd->pool, path);
    for (std::size_t length = strlen(root); length > 1 && root[length - 1] == '/'; --length) {
        root[length - 1] = '\0';
    }
    conf->root = root;
    return nullptr;
}

const char* set_cors(cmd_parms* cmd, void* config, const char* origin) {
    auto* conf = static_cast<DirConfig*>(config);
    if (strcasecmp(origin, "off") == 0) {
        conf->cors_origin = "";
        return nullptr;
    }
    if (strcmp(origin, "*") != 0 && strncmp(origin, "http://", 7) != 0 && strncmp(origin, "https://", 8) != 0) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes *, Off or an origin such as ",
                           "https://viewer.example.org, not '", origin, "'", nullptr);
    }
    for (const char* c = origin; *c != '\0'; ++c) {
        if (apr_iscntrl(*c) || *c == ' ' || *c == ',') {
            return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes a single origin, not '", origin, "'", nullptr);
        }
    }
    conf->cors_origin = apr_pstrdup(cmd->pool, origin);
    return nullptr;
}

const char* set_index(cmd_parms*, void* config, int on) {
    static_cast<DirConfig*>(config)->index = on ? 1 : 0;
    return nullptr;
}

const char* set_index_html(cmd_parms*, void* config, int on) {
    static_cast<DirConfig*>(config)->index_html = on ? 1 : 0;
    return nullptr;
}

// Patterns of ArtifactsIndexIgnore, ArtifactsKind and ArtifactsHtmlify are matched against
// one path segment, so a '/' in one could never match.
const char* file_name_pattern_problem(cmd_parms* cmd, const char* pattern) {
    if (pattern[0] == '\0' || strchr(pattern, '/') != nullptr) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes file name patterns without '/', not '", pattern, "'",
                           nullptr);
    }
    return nullptr;
}

const char* add_index_ignore(cmd_parms* cmd, void* config, const char* pattern) {
    auto* conf = static_cast<DirConfig*>(config);
    if (const char* problem = file_name_pattern_problem(cmd, pattern)) {
        return problem;
    }
    if (conf->index_ignore == nullptr) {
        conf->index_ignore = apr_array_make(cmd->pool, 4, sizeof(const char*));
    }
    APR_ARRAY_PUSH(conf->index_ignore, const char*) = apr_pstrdup(cmd->pool, pattern);
    return nullptr;
}

// One line of a file name pattern list (ArtifactsHtmlify, ArtifactsCompress): patterns, or
// Off. Lines of one section add up; a nested section that names the directive replaces the
// enclosing list (merge_dir_config).
const char* add_name_pattern(cmd_parms* cmd, const char* pattern, apr_array_header_t*& list, bool& off_said) {
    if (const char* problem = file_name_pattern_problem(cmd, pattern)) {
        return problem;
    }
    if (list == nullptr) {
        list = apr_array_make(cmd->pool, 4, sizeof(const char*));
    }
    const bool off = strcasecmp(pattern, "Off") == 0;
    if (off ? list->nelts > 0 : off_said) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " Off cannot be mixed with file name patterns", nullptr);
    }
    if (off) {
        off_said = true;
    } else {
        APR_ARRAY_PUSH(list, const char*) = apr_pstrdup(cmd->pool, pattern);
    }
    return nullptr;
}

// ArtifactsHtmlify "*.txt" "*.log.gz" ... or ArtifactsHtmlify Off.
const char* add_htmlify(cmd_parms* cmd, void* config, const char* pattern) {
    auto* conf = static_cast<DirConfig*>(config);
    return add_name_pattern(cmd, pattern, conf->htmlify, conf->htmlify_off);
}

// ArtifactsCompress "*.txt" "*.log" ... or ArtifactsCompress Off.
const char* add_compress(cmd_parms* cmd, void* config, const char* pattern) {
    auto* conf = static_cast<DirConfig*>(config);
    return add_name_pattern(cmd, pattern, conf->compress, conf->compress_off);
}

const char* add_gzip_inner_type(cmd_parms* cmd, void* config, const char* type) {
    auto* conf = static_cast<DirConfig*>(config);
    if (conf->gzip_inner_types == nullptr) {
        conf->gzip_inner_types = apr_array_make(cmd->pool, 4, sizeof(const char*));
    }
    const std::string_view text(type);
    if (strcasecmp(type, "None") == 0) {
        return conf->gzip_inner_types->nelts > 0
                   ? apr_pstrcat(cmd->pool, cmd->cmd->name, " None cannot be mixed with media types", nullptr)
                   : nullptr;
    }
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
        text.find_first_of(" \t;,") != std::string_view::npos) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes media types such as text/* or application/json, not '",
                           type, "'", nullptr);
    }
    APR_ARRAY_PUSH(conf->gzip_inner_types, const char*) = apr_pstrdup(cmd->pool, type);
    return nullptr;
}

// The enclosing list followed by the nested one; either may be missing.
apr_array_header_t* concatenated(apr_pool_t* pool, apr_array_header_t* base, apr_array_header_t* add) {
    if (base != nullptr && add != nullptr) {
        return apr_array_append(pool, base, add);
    }
    return add != nullptr ? add : base;
}

// C++ objects owned by the configuration pool: destroyed when httpd drops the configuration.
template <typename T>
T* pool_owned(apr_pool_t* pool) {
    T* object = new T();
    apr_pool_cleanup_register(
        pool, object,
        [](void* data) -> apr_status_t {
            delete static_cast<T*>(data);
            return APR_SUCCESS;
        },
        apr_pool_cleanup_null);
    return object;
}

const char* set_state_dir(cmd_parms* cmd, void*, const char* path) {
    if (const char* error = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) {
        return error;
    }
    const char* absolute = ap_server_root_relative(cmd->pool, path);
    if (absolute == nullptr) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid path '", path, "'", nullptr);
    }
    server_config(cmd->server)->state_dir = absolute;
    return nullptr;
}

const char* add_token_key(cmd_parms* cmd, void* config, const char* kid, const char* file) {
    auto* conf = static_cast<DirConfig*>(config);
    if (!is_valid_kid(kid)) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": key id '", kid,
                           "' must be 1 to 64 letters, digits, '-' or '_'", nullptr);
    }
    const char* path = ap_server_root_relative(cmd->temp_pool, file);
    std::optional<std::string> secret = path != nullptr ? read_secret_file(path) : std::nullopt;
    if (!secret) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": cannot read the secret of key '", kid, "' from '", file,
                           "' (a readable file of at most 4096 bytes)", nullptr);
    }
    std::string key = std::move(*secret);
    if (key.size() < kMinSecretLength) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": the secret of key '", kid, "' in '", file,
                           "' is shorter than 16 bytes; use e.g. 32 random bytes, base64-encoded", nullptr);
    }
    if (conf->keys == nullptr) {
        conf->keys = pool_owned<KeyRing>(cmd->pool);
    }
    if (!conf->keys->emplace(kid, std::move(key)).second) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": key id '", kid, "' is given twice", nullptr);
    }
    server_config(cmd->server)->has_keys = true;
    return nullptr;
}

const char* set_duration(cmd_parms* cmd, apr_int64_t* target, const char* value, std::int64_t minimum) {
    const auto seconds = parse_duration(value);
    if (!seconds || *seconds < minimum) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes a duration such as 60, 90s, 30m or 24h, not '", value,
                           "'", nullptr);
    }
    *target = *seconds;
    return nullptr;
}

const char* set_leeway(cmd_parms* cmd, void* config, const char* value) {
    return set_duration(cmd, &static_cast<DirConfig*>(config)->leeway, value, 0);
}

const char* set_max_lifetime(cmd_parms* cmd, void* config, const char* value) {
    return set_duration(cmd, &static_cast<DirConfig*>(config)->max_lifetime, value, 1);
}

// A positive size such as 2G; sets `*target`.
const char* set_size(cmd_parms* cmd, const char* value, apr_int64_t* target) {
    const auto bytes = parse_byte_size(value);
    if (!bytes || *bytes == 0 || *bytes > static_cast<std::uint64_t>(INT64_MAX)) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes a size such as 2G, 512M or 1048576, not '", value, "'",
                           nullptr);
    }
    *target = static_cast<apr_int64_t>(*bytes);
    return nullptr;
}

const char* set_max_file_size(cmd_parms* cmd, void* config, const char* value) {
    return set_size(cmd, value, &static_cast<DirConfig*>(config)->max_file_size);
}

const char* set_htmlify_max_bytes(cmd_parms* cmd, void* config, const char* value) {
    return set_size(cmd, value, &static_cast<DirConfig*>(config)->htmlify_max_bytes);
}

// RAW_ARGS, so that the single quotes of 'self' or 'none' reach the header as written; one
// pair of double quotes around the whole value is taken off.
std::string_view raw_value(const char* args) {
    std::string_view value = args;
    while (!value.empty() && apr_isspace(value.back())) {
        value.remove_suffix(1);
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
    }
    return value;
}

// A policy value or Off ("") for `*target`, refused when `problem` finds one.
template <typename Problem>
const char* set_policy_value(cmd_parms* cmd, const char* args, const char* what, Problem problem, const char** target) {
    const std::string_view value = raw_value(args);
    if (value.empty()) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes ", what, " or Off", nullptr);
    }
    if (const auto found = problem(value)) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", found->c_str(), nullptr);
    }
    *target =
        strcasecmp(std::string(value).c_str(), "off") == 0 ? "" : apr_pstrmemdup(cmd->pool, value.data(), value.size());
    return nullptr;
}

const char* set_content_policy(cmd_parms* cmd, void* config, const char* args) {
    return set_policy_value(cmd, args, "a Content-Security-Policy", content_policy_problem,
                            &static_cast<DirConfig*>(config)->content_policy);
}

const char* set_frame_ancestors(cmd_parms* cmd, void* config, const char* args) {
    return set_policy_value(cmd, args, "source expressions such as 'self'", frame_ancestors_problem,
                            &static_cast<DirConfig*>(config)->frame_ancestors);
}

const char* set_sync(cmd_parms*, void* config, int on) {
    static_cast<DirConfig*>(config)->sync = on ? 1 : 0;
    return nullptr;
}

const char* add_kind(cmd_parms* cmd, void* config, const char* name, const char* pattern) {
    auto* conf = static_cast<DirConfig*>(config);
    if (!is_valid_kid(name)) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": kind name '", name,
                           "' must be 1 to 64 letters, digits, '-' or '_'", nullptr);
    }
    if (const char* problem = file_name_pattern_problem(cmd, pattern)) {
        return problem;
    }
    if (conf->kinds == nullptr) {
        conf->kinds = pool_owned<KindTable>(cmd->pool);
    }
    conf->kinds->add(name, pattern);
    return nullptr;
}

}  // namespace

bool matches_any_pattern(const apr_array_header_t* patterns, const char* name) {
    if (patterns == nullptr) {
        return false;
    }
    for (int i = 0; i < patterns->nelts; ++i) {
        if (fnmatch(APR_ARRAY_IDX(patterns, i, const char*), name, 0) == 0) {
            return true;
        }
    }
    return false;
}

int check_upload_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* main_server) {
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
        const ServerConfig* conf = server_config(s);
        if (conf->has_keys && conf->state_dir == nullptr) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         ARTF_LOGNO(0002) "ArtifactsTokenKey is set for %s:%u but ArtifactsStateDir is not: uploads "
                                          "need a directory for the token ledger",
                         s->server_hostname != nullptr ? s->server_hostname : "(main)", s->port);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

void* create_server_config(apr_pool_t* pool, server_rec*) {
    return new (apr_pcalloc(pool, sizeof(ServerConfig))) ServerConfig();
}

void* merge_server_config(apr_pool_t* pool, void* base_config, void* add_config) {
    const auto* base = static_cast<const ServerConfig*>(base_config);
    const auto* add = static_cast<const ServerConfig*>(add_config);
    auto* merged = new (apr_pcalloc(pool, sizeof(ServerConfig))) ServerConfig();
    merged->state_dir = add->state_dir != nullptr ? add->state_dir : base->state_dir;
    merged->has_keys = base->has_keys || add->has_keys;
    // <Location> sections of the main server apply to every virtual host too.
    merged->engine_locations = concatenated(pool, base->engine_locations, add->engine_locations);
    merged->notify = add->notify != nullptr ? add->notify : base->notify;
    merge_storage_config(base->storage, add->storage, merged->storage);
    return merged;
}

void* create_dir_config(apr_pool_t* pool, char*) {
    return new (apr_pcalloc(pool, sizeof(DirConfig))) DirConfig();
}

void* merge_dir_config(apr_pool_t* pool, void* base_config, void* add_config) {
    const auto* base = static_cast<const DirConfig*>(base_config);
    const auto* add = static_cast<const DirConfig*>(add_config);
    auto* merged = new (apr_pcalloc(pool, sizeof(DirConfig))) DirConfig();
    const bool engine_set_here = add->engine != -1;
    merged->engine = engine_set_here ? add->engine : base->engine;
    merged->location = engine_set_here ? add->location : base->location;
    merged->root = add->root != nullptr ? add->root : base->root;
    merged->cors_origin = add->cors_origin != nullptr ? add->cors_origin : base->cors_origin;
    merged->index = add->index != -1 ? add->index : base->index;
    merged->index_html = add->index_html != -1 ? add->index_html : base->index_html;
    merged->index_ignore = concatenated(pool, base->index_ignore, add->index_ignore);
    merged->keys = add->keys != nullptr ? add->keys : base->keys;
    merged->kinds = add->kinds != nullptr ? add->kinds : base->kinds;
    merged->leeway = add->leeway != -1 ? add->leeway : base->leeway;
    merged->max_lifetime = add->max_lifetime != -1 ? add->max_lifetime : base->max_lifetime;
    merged->max_file_size = add->max_file_size != -1 ? add->max_file_size : base->max_file_size;
    merged->sync = add->sync != -1 ? add->sync : base->sync;
    merged->htmlify = add->htmlify != nullptr ? add->htmlify : base->htmlify;
    merged->compress = add->compress != nullptr ? add->compress : base->compress;
    merged->htmlify_max_bytes = add->htmlify_max_bytes != -1 ? add->htmlify_max_bytes : base->htmlify_max_bytes;
    merged->content_policy = add->content_policy != nullptr ? add->content_policy : base->content_policy;
    merged->frame_ancestors = add->frame_ancestors != nullptr ? add->frame_ancestors : base->frame_ancestors;
    merged->gzip_inner_types = add->gzip_inner_types != nullptr ? add->gzip_inner_types : base->gzip_inner_types;
    return merged;
}

const command_rec directives[] = {
    AP_INIT_FLAG("ArtifactsEngine", as_cmd_func(set_engine), nullptr, RSRC_CONF | ACCESS_CONF,
                 "On to serve (and later accept uploads) below this <Location>"),
    AP_INIT_TAKE1("ArtifactsRoot", as_cmd_func(set_root), nullptr, RSRC_CONF | ACCESS_CONF,
                  "Directory that holds the artifact tree (default: DocumentRoot)"),
    AP_INIT_TAKE1("ArtifactsCORS", as_cmd_func(set_cors), nullptr, RSRC_CONF | ACCESS_CONF,
                  "Access-Control-Allow-Origin for GET/HEAD replies: *, an origin, or Off"),
    AP_INIT_FLAG("ArtifactsIndex", as_cmd_func(set_index), nullptr, RSRC_CONF | ACCESS_CONF,
                 "On (default) to list directories without index.html, Off to refuse (403)"),
    AP_INIT_FLAG("ArtifactsIndexHtml", as_cmd_func(set_index_html), nullptr, RSRC_CONF | ACCESS_CONF,
                 "On (default) to answer a directory holding index.html with it, Off for the module's index"),
    AP_INIT_ITERATE("ArtifactsIndexIgnore", as_cmd_func(add_index_ignore), nullptr, RSRC_CONF | ACCESS_CONF,
                    "File name patterns (shell globs) left out of directory indexes"),
    AP_INIT_TAKE_ARGV("ArtifactsNotify", as_cmd_func(add_notify), nullptr, RSRC_CONF,
                      "A receiver of events: URL [seal] [file] key-file=FILE (events are POSTed, HMAC-signed)"),
    AP_INIT_TAKE1("ArtifactsStateDir", as_cmd_func(set_state_dir), nullptr, RSRC_CONF,
                  "Directory for the embedded token ledger (needed for uploads)"),
    AP_INIT_TAKE2("ArtifactsTokenKey", as_cmd_func(add_token_key), nullptr, RSRC_CONF | ACCESS_CONF,
                  "Key id and the file holding its secret; repeat for key rotation"),
    AP_INIT_TAKE1("ArtifactsTokenLeeway", as_cmd_func(set_leeway), nullptr, RSRC_CONF | ACCESS_CONF,
                  "Clock skew allowed on a token's exp and nbf (default 60s)"),
    AP_INIT_TAKE1("ArtifactsTokenMaxLifetime", as_cmd_func(set_max_lifetime), nullptr, RSRC_CONF | ACCESS_CONF,
                  "Longest validity accepted, whatever a token's exp says (default 24h)"),
    AP_INIT_ITERATE2("ArtifactsKind", as_cmd_func(add_kind), nullptr, RSRC_CONF | ACCESS_CONF,
                     "A kind of artifact a token may name, and the file name patterns it covers"),
    AP_INIT_TAKE1("ArtifactsMaxFileSize", as_cmd_func(set_max_file_size), nullptr, RSRC_CONF | ACCESS_CONF,
                  "Largest file one upload may store (default 2G)"),
    AP_INIT_ITERATE("ArtifactsHtmlify", as_cmd_func(add_htmlify), nullptr, RSRC_CONF | ACCESS_CONF,
                    "File name patterns (shell globs) whose files browsers get as log pages, or Off"),
    AP_INIT_ITERATE("ArtifactsCompress", as_cmd_func(add_compress), nullptr, RSRC_CONF | ACCESS_CONF,
                    "File name patterns (shell globs) of uploads stored gzip-compressed when sent plain, or Off"),
    AP_INIT_TAKE1("ArtifactsHtmlifyMaxBytes", as_cmd_func(set_htmlify_max_bytes), nullptr, RSRC_CONF | ACCESS_CONF,
                  "Most bytes of log one log page reads before it stops (default 8G)"),
    AP_INIT_ITERATE("ArtifactsGzipInnerTypes", as_cmd_func(add_gzip_inner_type), nullptr, RSRC_CONF | ACCESS_CONF,
                    "Inner media types of name.gz sent as that type with Content-Encoding: gzip when name.gz is "
                    "asked for (text/*, application/json, ...), or None"),
    AP_INIT_RAW_ARGS("ArtifactsContentPolicy", as_cmd_func(set_content_policy), nullptr, RSRC_CONF | ACCESS_CONF,
                     "Content-Security-Policy of answers that carry stored bytes, or Off (default: a sandbox)"),
    AP_INIT_RAW_ARGS("ArtifactsFrameAncestors", as_cmd_func(set_frame_ancestors), nullptr, RSRC_CONF | ACCESS_CONF,
                     "Who may frame the answers: CSP source expressions, or Off (default 'self')"),
    AP_INIT_FLAG("ArtifactsSync", as_cmd_func(set_sync), nullptr, RSRC_CONF | ACCESS_CONF,
                 "On (default) to fsync each stored file and its directory before answering"),
    AP_INIT_TAKE1("ArtifactsCatalogue", as_cmd_func(set_catalogue), nullptr, RSRC_CONF,
                  "MySQL/MariaDB catalogue: \"host=... port=... user=... password-file=... dbname=...\""),
    AP_INIT_TAKE_ARGV("ArtifactsSwift", as_cmd_func(set_swift), nullptr, RSRC_CONF,
                      "Swift: v1|v3 AUTH_URL USER key-file=|password-file=PATH [project=...] [temp-url-key-file=...]"),
    AP_INIT_TAKE1("ArtifactsSwiftContainer", as_cmd_func(set_swift_container), nullptr, RSRC_CONF,
                  "The Swift container artifacts are stored in (the base name when sharded)"),
    AP_INIT_TAKE1("ArtifactsSwiftContainerShards", as_cmd_func(set_swift_shards), nullptr, RSRC_CONF,
                  "Spread objects over this many containers NAME-000... (default: one container)"),
    AP_INIT_TAKE1("ArtifactsStore", as_cmd_func(set_store), nullptr, RSRC_CONF,
                  "Where uploads are stored: fs (default) or swift"),
    AP_INIT_TAKE12("ArtifactsSwiftServe", as_cmd_func(set_swift_serve), nullptr, RSRC_CONF,
                   "proxy (default) to stream Swift objects, or redirect [LIFETIME] for a 302 to a temp URL"),
    AP_INIT_TAKE1("ArtifactsRetention", as_cmd_func(set_retention), nullptr, RSRC_CONF,
                  "How long Swift keeps uploaded objects (X-Delete-After), or Off (default)"),
    AP_INIT_FLAG("ArtifactsSwiftListing", as_cmd_func(set_swift_listing), nullptr, RSRC_CONF,
                 "On to list and serve the Swift container directly where the filesystem has nothing"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};

}  // namespace artifacts::httpd
