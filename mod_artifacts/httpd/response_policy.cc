// Answers below an ArtifactsEngine location are read by browsers on the artifact origin,
// and their bytes come from untrusted workers: a browser must neither guess a type for them
// (nosniff, and a type always given) nor run what they hold with the origin's privileges
// (ArtifactsContentPolicy, by default a sandbox in an opaque origin).
#include <apr_strings.h>
#include <http_protocol.h>

#include <string>

#include "../core/policy/content_policy.h"
#include "../core/http/content_type.h"
#include "module.h"

namespace artifacts::httpd {

namespace {

std::string_view frame_ancestors_of(const DirConfig* conf) {
    return conf != nullptr && conf->frame_ancestors != nullptr ? conf->frame_ancestors : kDefaultFrameAncestors;
}

void set_policy(request_rec* r, const std::string& policy) {
    if (policy.empty()) {
        apr_table_unset(r->headers_out, "Content-Security-Policy");
    } else {
        apr_table_setn(r->headers_out, "Content-Security-Policy",
                       apr_pstrmemdup(r->pool, policy.data(), policy.size()));
    }
}

}  // namespace

void set_stored_content_policy(request_rec* r, const DirConfig* conf) {
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    if (conf->content_policy == nullptr && conf->frame_ancestors == nullptr) {
        // The defaults, on every file served: built once.
        static const std::string kDefaults = stored_content_policy(kDefaultStoredContentPolicy, kDefaultFrameAncestors);
        apr_table_setn(r->headers_out, "Content-Security-Policy", kDefaults.c_str());
    } else {
        const std::string_view policy =
            conf->content_policy != nullptr ? conf->content_policy : kDefaultStoredContentPolicy;
        set_policy(r, stored_content_policy(policy, frame_ancestors_of(conf)));
    }
    if (r->content_type == nullptr) {
        // mod_mime knows no type for the name (Debian's has none for .log): the built-in table's, or bytes.
        const char* slash = strrchr(r->uri, '/');
        const std::string_view type = content_type_for(slash != nullptr ? slash + 1 : r->uri).media_type;
        ap_set_content_type(r, apr_pstrmemdup(r->pool, type.data(), type.size()));
    }
}

void set_generated_page_policy(request_rec* r) {
    apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
    set_policy(r, generated_page_policy(frame_ancestors_of(dir_config(r))));
}

}  // namespace artifacts::httpd
