// The module's counters in memory every child shares, the artifacts-metrics handler that
// prints them for Prometheus, and the module's line on mod_status's page.
//
// The block is anonymous shared memory made once by the parent, in the process pool: it
// outlives graceful restarts (which clear pconf and reload the module), and every child
// forked after it inherits the mapping, so each child's increments land in the same
// counters. A stop and start begins again from zero (artifacts_counters_start_time_seconds).
#include <apr_shm.h>
#include <apr_strings.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_status.h>

#include <cstring>
#include <string>

#include "../core/metrics/metrics.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

constexpr char kMetricsKey[] = "artifacts-metrics-block";

int add_status_line(request_rec* r, int flags) {
    const std::string summary = metrics::status_summary(metrics::counters());
    if ((flags & AP_STATUS_SHORT) != 0) {
        ap_rprintf(r, "ArtifactsSummary: %s\n", summary.c_str());
    } else {
        // Digits and fixed words only: nothing to escape.
        ap_rprintf(r, "<hr />\n<h2>mod_artifacts</h2>\n<p>%s (<code>artifacts-metrics</code> has them all)</p>\n",
                   summary.c_str());
    }
    return OK;
}

}  // namespace

int attach_shared_metrics(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
    apr_pool_t* process_pool = s->process->pool;
    void* found = nullptr;
    apr_pool_userdata_get(&found, kMetricsKey, process_pool);
    auto* block = static_cast<metrics::Counters*>(found);
    if (block != nullptr && block->layout != metrics::kLayout) {
        // Made by another build of the module before a graceful restart: left as it is.
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     ARTF_LOGNO(0501) "the counters of another build of mod_artifacts are left; counting anew");
        block = nullptr;
    }
    if (block == nullptr) {
        apr_shm_t* shm = nullptr;
        const apr_status_t status = apr_shm_create(&shm, sizeof(metrics::Counters), nullptr, process_pool);
        if (status != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, status, s,
                         ARTF_LOGNO(0502) "cannot make shared memory for the counters; each child counts alone");
            return OK;
        }
        block =
            metrics::make_counters(apr_shm_baseaddr_get(shm), static_cast<std::uint64_t>(apr_time_sec(apr_time_now())));
        apr_pool_userdata_set(block, kMetricsKey, apr_pool_cleanup_null, process_pool);
    }
    metrics::attach(block);
    return OK;
}

int handle_metrics(request_rec* r) {
    if (r->handler == nullptr || strcmp(r->handler, kMetricsHandler) != 0) {
        return DECLINED;
    }
    r->allowed |= AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    const std::string text = metrics::render_prometheus(metrics::counters());
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, static_cast<apr_off_t>(text.size()));
    if (!r->header_only) {
        ap_rwrite(text.data(), static_cast<int>(text.size()), r);
    }
    return OK;
}

void register_metrics_hooks() {
    ap_hook_post_config(attach_shared_metrics, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_handler(handle_metrics, nullptr, nullptr, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, add_status_line, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace artifacts::httpd
