// The module record and hook registration: everything else lives in a file per concept.
#include <http_core.h>
#include <mpm_common.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

void init_child(apr_pool_t* pchild, server_rec* s) {
    start_connection_upkeep(pchild, s);
}

void register_hooks(apr_pool_t*) {
    ap_hook_check_config(check_upload_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_storage_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(init_storage_libraries, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(prepare_state_dirs, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_notify_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(start_notifier, nullptr, nullptr, APR_HOOK_LAST);
    ap_hook_monitor(sweep_abandoned_uploads, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_init(init_child, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(capture_upload_path, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_translate_name(translate_artifact_path, nullptr, nullptr, APR_HOOK_MIDDLE);
    static const char* const run_before_mod_dir[] = {"mod_dir.c", "mod_autoindex.c", nullptr};
    ap_hook_fixups(fixup_artifact_request, nullptr, run_before_mod_dir, APR_HOOK_MIDDLE);
    ap_hook_handler(handle_directory_index, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_handler(handle_upload, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_handler(handle_swift_object, nullptr, nullptr, APR_HOOK_MIDDLE);
    register_metrics_hooks();
    register_gunzip_filter();
    register_htmlify_filter();
}

}  // namespace

}  // namespace artifacts::httpd

extern "C" {
module AP_MODULE_DECLARE_DATA artifacts_module = {
    STANDARD20_MODULE_STUFF,
    artifacts::httpd::create_dir_config,
    artifacts::httpd::merge_dir_config,
    artifacts::httpd::create_server_config,
    artifacts::httpd::merge_server_config,
    artifacts::httpd::directives,
    artifacts::httpd::register_hooks,
    AP_MODULE_FLAG_NONE,
};
}
