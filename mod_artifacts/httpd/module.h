// What every translation unit of the module shares: the module record, its
// per-directory configuration and the message ids of its log lines.
#pragma once

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

extern "C" module AP_MODULE_DECLARE_DATA artifacts_module;

// Every error-log line starts with a stable id ("ARTF0104: ...") that operators grep for;
// the README lists them.
#define ARTF_LOGNO(n) "ARTF" #n ": "

namespace artifacts::httpd {

struct DirConfig {
    int engine = -1;                             // -1 unset, 0 Off, 1 On
    const char* location = nullptr;              // the <Location> ArtifactsEngine was switched on in
    const char* root = nullptr;                  // ArtifactsRoot, without a trailing "/"
    const char* cors_origin = nullptr;           // ArtifactsCORS value; "" when switched off
    int index = -1;                              // ArtifactsIndex: -1 unset (On), 0 Off, 1 On
    apr_array_header_t* index_ignore = nullptr;  // const char* glob patterns
};

// The handler name the fixup gives directories that get an index.
constexpr const char* kIndexHandler = "artifacts-index";

// What translate_name learnt about a request below an ArtifactsEngine location.
struct RequestState {
    const char* relative_path;  // below the location / ArtifactsRoot, "" for the top
    const char* file;           // ArtifactsRoot + relative_path, before the directory walk
};

inline RequestState* request_state(request_rec* r) {
    return static_cast<RequestState*>(ap_get_module_config(r->request_config, &artifacts_module));
}

inline DirConfig* dir_config(request_rec* r) {
    return static_cast<DirConfig*>(ap_get_module_config(r->per_dir_config, &artifacts_module));
}

void* create_dir_config(apr_pool_t* pool, char* context);
void* merge_dir_config(apr_pool_t* pool, void* base, void* add);
extern const command_rec directives[];

// The hooks, one file each.
int translate_artifact_path(request_rec* r);
int fixup_artifact_request(request_rec* r);
int handle_directory_index(request_rec* r);

}  // namespace artifacts::httpd
