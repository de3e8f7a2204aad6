// The Swift sources of the serving chain (serving_chain.h): a path the catalogue knows is
// answered from Swift (a directory with an index built from the catalogue), and in
// listing mode a path the filesystem lacks is looked for in the Swift container. While
// the catalogue cannot be asked, the filesystem answers what it has and the rest is a 503
// (Retry-After), never a 404.
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "../backends/catalogue.h"
#include "../backends/swift_client.h"
#include "../core/index/swift_listing.h"
#include "../core/http/content_type.h"
#include "../core/http/negotiation.h"
#include "module.h"
#include "serving_chain.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

apr_status_t destroy_source(void* data) {
    static_cast<SwiftSource*>(data)->~SwiftSource();
    return APR_SUCCESS;
}

SwiftSource* new_source(request_rec* r) {
    auto* source = new (apr_palloc(r->pool, sizeof(SwiftSource))) SwiftSource();
    apr_pool_cleanup_register(r->pool, source, destroy_source, apr_pool_cleanup_null);
    return source;
}

std::string content_type_of(const ArtifactRecord& record) {
    return !record.content_type.empty() ? record.content_type
                                        : std::string(content_type_for(name_of(record.path)).media_type);
}

void serve_record(request_rec* r, const CatalogueMatch& match, std::string_view looked_up, bool log_page) {
    SwiftSource* source = new_source(r);
    const ArtifactRecord& record = match.record;
    source->container = record.container;
    source->object = record.object;
    source->from_catalogue = true;
    source->catalogue_path = std::string(looked_up);
    source->stored_encoding = record.content_encoding;
    source->log_page = log_page;
    source->compressed_name = match.compressed_name;
    if (match.compressed_name) {
        source->content_type = "application/gzip";
    } else {
        source->content_type = content_type_of(record);
        source->inflate = record.content_encoding == "gzip" && negotiate_gzip(r, log_page);
    }
    request_state(r)->swift = source;
    r->handler = kSwiftHandler;
}

// Hidden names (ArtifactsIndexIgnore) of the entries a source appended after `before`.
void hide_entries(IndexEntries& entries, std::size_t before, const NameFilter& hide) {
    if (hide) {
        entries.erase(std::remove_if(entries.begin() + static_cast<std::ptrdiff_t>(before), entries.end(),
                                     [&](const IndexEntry& entry) { return hide(entry.name); }),
                      entries.end());
    }
}

}  // namespace

int answer_catalogue_unreachable(request_rec* r) {
    const StorageConfig& storage = server_config(r->server)->storage;
    // A 404 would be a lie that caches keep: the file may well be stored.
    const unsigned retry = storage.catalogue != nullptr ? storage.catalogue->pool().settings().retry_interval : 2;
    apr_table_setn(r->err_headers_out, "Retry-After", apr_psprintf(r->pool, "%u", retry));
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_SERVICE_UNAVAILABLE;
}

void log_catalogue_failure(request_rec* r, const std::exception& e) {
    static std::atomic<apr_time_t> last_logged{0};
    if (!rate_limit_allows(last_logged)) {
        return;
    }
    if (dynamic_cast<const CatalogueUnavailable*>(&e) != nullptr) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      ARTF_LOGNO(0401) "catalogue unavailable: serving what the filesystem has, 503 for the rest: %s",
                      e.what());
    } else {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ARTF_LOGNO(0402) "catalogue error: serving what the filesystem has, 503 for the rest: %s",
                      e.what());
    }
}

std::optional<SwiftSource> source_moved(request_rec* r, const SwiftSource& source) {
    const StorageConfig& storage = server_config(r->server)->storage;
    if (!source.from_catalogue || storage.catalogue == nullptr) {
        return std::nullopt;
    }
    try {
        const std::optional<CatalogueMatch> match =
            storage.catalogue->find(source.catalogue_path, apr_time_sec(r->request_time));
        // The encoding decided the headers and filters already set up for this request.
        if (!match || match->record.is_directory || match->record.content_encoding != source.stored_encoding ||
            (match->record.container == source.container && match->record.object == source.object)) {
            return std::nullopt;
        }
        SwiftSource now = source;
        now.container = match->record.container;
        now.object = match->record.object;
        if (!match->compressed_name) {
            now.content_type = content_type_of(match->record);
        }
        return now;
    } catch (const std::exception& e) {
        log_catalogue_failure(r, e);
        return std::nullopt;
    }
}

Routed route_catalogue(request_rec* r, bool log_page) {
    Catalogue& catalogue = *server_config(r->server)->storage.catalogue;
    const RequestState* state = request_state(r);
    if (state->relative_path == nullptr) {
        return Routed{};  // not below the ArtifactsEngine location: the disk's as Apache maps it
    }
    const std::int64_t now = apr_time_sec(r->request_time);
    try {
        std::optional<CatalogueMatch> match = catalogue.find(state->relative_path, now);
        if (!match) {
            return Routed{};
        }
        // name.gz answered from the row of name stored compressed: name's access rules apply too.
        if (match->compressed_name &&
            !sibling_is_allowed(r, apr_pstrdup(r->pool, name_of(match->record.path).c_str()))) {
            return Routed{};
        }
        if (!match->record.is_directory) {
            serve_record(r, *match, state->relative_path, log_page);
            return Routed{OK, true, true};
        }
        if (r->uri[0] == '\0' || r->uri[strlen(r->uri) - 1] != '/') {
            return Routed{redirect_to_directory(r)};
        }
        // As mod_dir would: a directory holding index.html is answered by that file.
        const std::string index_page = match->record.path + "index.html";
        if (std::optional<CatalogueMatch> page = catalogue.find(index_page, now);
            page && !page->record.is_directory && r->main == nullptr && !asks_for_module_index(r)) {
            serve_record(r, *page, index_page, false);
            return Routed{OK};
        }
        r->handler = kIndexHandler;
        return Routed{OK};
    } catch (const std::exception& e) {
        log_catalogue_failure(r, e);
        // What the disk has is still answered; for the rest, route_request says 503.
        request_state(r)->catalogue_unreachable = true;
    }
    return Routed{};
}

int list_catalogue(request_rec* r, const NameFilter& hide, IndexEntries& entries) {
    if (request_state(r)->relative_path == nullptr) {
        return DECLINED;
    }
    const std::size_t before = entries.size();
    bool found = false;
    try {
        found = server_config(r->server)->storage.catalogue->list(request_state(r)->relative_path,
                                                                  apr_time_sec(r->request_time), entries);
    } catch (const std::exception& e) {
        log_catalogue_failure(r, e);
    }
    hide_entries(entries, before, hide);
    return found ? OK : DECLINED;
}

Routed route_listing(request_rec* r, bool log_page) {
    const StorageConfig& storage = server_config(r->server)->storage;
    if (r->finfo.filetype != APR_NOFILE || request_state(r)->relative_path == nullptr) {
        return Routed{};
    }
    const std::string_view relative = request_state(r)->relative_path;
    const bool directory = relative.empty() || relative.back() == '/';
    // As Swift's staticweb with a Web-Index, and as for a directory on disk: a directory
    // holding index.html is answered by it, unless the module's own index is asked for.
    if (directory && (r->main != nullptr || asks_for_module_index(r))) {
        r->handler = kIndexHandler;  // the index says 404 when Swift lists nothing either
        return Routed{OK};
    }
    SwiftSource* source = new_source(r);
    source->container = storage.container;
    source->object = directory ? std::string(relative) + "index.html" : std::string(relative);
    source->directory_page = directory;
    source->log_page = log_page && !directory;
    request_state(r)->swift = source;
    r->handler = kSwiftHandler;
    return directory ? Routed{OK} : Routed{OK, true, true};
}

int list_listing(request_rec* r, const NameFilter& hide, IndexEntries& entries) {
    static std::atomic<apr_time_t> last_logged{0};
    const StorageConfig& storage = server_config(r->server)->storage;
    if (request_state(r)->relative_path == nullptr) {
        return DECLINED;
    }
    const std::string_view directory = request_state(r)->relative_path;
    const std::size_t before = entries.size();
    bool found = false;
    std::string marker;
    try {
        for (;;) {
            const std::string text =
                storage.swift->list(storage.container, directory, "/", marker, storage.swift->settings().listing_page);
            const ListingPage page = append_listing_page(text, directory, entries);
            if (page.count == 0 || page.next_marker == marker) {
                break;  // the end, or a listing that does not move on
            }
            found = true;
            marker = page.next_marker;
        }
    } catch (const HttpUnavailable& e) {
        if (r->finfo.filetype != APR_DIR) {
            throw;  // nothing else to show
        }
        if (rate_limit_allows(last_logged)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          ARTF_LOGNO(0403) "Swift unavailable, the index shows the filesystem only: %s", e.what());
        }
    }
    hide_entries(entries, before, hide);
    return found ? OK : DECLINED;
}

}  // namespace artifacts::httpd
