// Directives of SPEC §2 that the serving side needs, and how they merge: a value set in a
// nested section overrides the enclosing one, unset values are inherited.
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_core.h>

#include <new>

#include "module.h"

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

const char* add_index_ignore(cmd_parms* cmd, void* config, const char* pattern) {
    auto* conf = static_cast<DirConfig*>(config);
    if (pattern[0] == '\0' || strchr(pattern, '/') != nullptr) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " takes file name patterns without '/', not '", pattern, "'",
                           nullptr);
    }
    if (conf->index_ignore == nullptr) {
        conf->index_ignore = apr_array_make(cmd->pool, 4, sizeof(const char*));
    }
    APR_ARRAY_PUSH(conf->index_ignore, const char*) = apr_pstrdup(cmd->pool, pattern);
    return nullptr;
}

}  // namespace

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
    if (base->index_ignore != nullptr && add->index_ignore != nullptr) {
        merged->index_ignore = apr_array_append(pool, base->index_ignore, add->index_ignore);
    } else {
        merged->index_ignore = add->index_ignore != nullptr ? add->index_ignore : base->index_ignore;
    }
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
    AP_INIT_ITERATE("ArtifactsIndexIgnore", as_cmd_func(add_index_ignore), nullptr, RSRC_CONF | ACCESS_CONF,
                    "File name patterns (shell globs) left out of directory indexes"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};

}  // namespace artifacts::httpd
