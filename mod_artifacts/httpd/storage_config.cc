// The directives of the production storage: the catalogue, the
// Swift account and container, where uploads go and how Swift objects are served.
#include <apr_strings.h>
#include <http_core.h>
#include <http_log.h>
#include <mysql.h>

#include <curl/curl.h>

#include <atomic>
#include <string>
#include <vector>

#include "../backends/catalogue.h"
#include "../backends/swift_client.h"
#include "../core/store/swift_naming.h"
#include "../core/codec/units.h"
#include "module.h"
#include "serving_chain.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

template <typename T>
apr_status_t delete_object(void* object) {
    delete static_cast<T*>(object);
    return APR_SUCCESS;
}

StorageConfig& storage_of(cmd_parms* cmd) {
    return server_config(cmd->server)->storage;
}

const char* problem(cmd_parms* cmd, const std::string& sentence) {
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", sentence.c_str(), nullptr);
}

}  // namespace

void merge_storage_config(const StorageConfig& base, const StorageConfig& add, StorageConfig& merged) {
    merged.catalogue = add.catalogue != nullptr ? add.catalogue : base.catalogue;
    merged.swift = add.swift != nullptr ? add.swift : base.swift;
    merged.container = add.container != nullptr ? add.container : base.container;
    merged.shards = add.shards != -1 ? add.shards : base.shards;
    merged.store = add.store != StoreKind::Unset ? add.store : base.store;
    merged.serve = add.serve != SwiftServe::Unset ? add.serve : base.serve;
    merged.redirect_lifetime = add.redirect_lifetime != -1 ? add.redirect_lifetime : base.redirect_lifetime;
    merged.retention = add.retention != -1 ? add.retention : base.retention;
    merged.listing = add.listing != -1 ? add.listing : base.listing;
}

const char* set_catalogue(cmd_parms* cmd, void*, const char* text) {
    CatalogueSettings settings;
    const std::string error = parse_catalogue_settings(text, settings);
    if (!error.empty()) {
        return problem(cmd, error);
    }
    auto* catalogue = new Catalogue(std::move(settings));
    apr_pool_cleanup_register(cmd->pool, catalogue, delete_object<Catalogue>, apr_pool_cleanup_null);
    storage_of(cmd).catalogue = catalogue;
    return nullptr;
}

const char* set_swift(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    SwiftSettings settings;
    const std::string error = parse_swift_settings(std::vector<std::string>(argv, argv + argc), settings);
    if (!error.empty()) {
        return problem(cmd, error);
    }
    auto* client = new SwiftClient(std::move(settings));
    apr_pool_cleanup_register(cmd->pool, client, delete_object<SwiftClient>, apr_pool_cleanup_null);
    storage_of(cmd).swift = client;
    return nullptr;
}

const char* set_swift_container(cmd_parms* cmd, void*, const char* name) {
    const std::string_view text(name);
    // Swift's own rules: 1 to 256 bytes, no '/', with room for the shard and twin suffixes.
    if (text.empty() || text.size() > kMaxBaseContainerName || text.find('/') != std::string_view::npos) {
        return problem(cmd, "a container name is 1 to " + std::to_string(kMaxBaseContainerName) + " bytes without '/'");
    }
    storage_of(cmd).container = name;
    return nullptr;
}

const char* set_swift_shards(cmd_parms* cmd, void*, const char* count) {
    char* end = nullptr;
    const long shards = std::strtol(count, &end, 10);
    if (end == count || *end != '\0' || shards < 1 || shards > 1000) {
        return problem(cmd, std::string("takes a number of containers from 1 to 1000, not '") + count + "'");
    }
    storage_of(cmd).shards = static_cast<int>(shards);
    return nullptr;
}

const char* set_store(cmd_parms* cmd, void*, const char* kind) {
    if (strcasecmp(kind, "fs") == 0) {
        storage_of(cmd).store = StoreKind::Filesystem;
    } else if (strcasecmp(kind, "swift") == 0) {
        storage_of(cmd).store = StoreKind::Swift;
    } else {
        return problem(cmd, std::string("takes fs or swift, not '") + kind + "'");
    }
    return nullptr;
}

const char* set_swift_serve(cmd_parms* cmd, void*, const char* mode, const char* lifetime) {
    StorageConfig& storage = storage_of(cmd);
    if (strcasecmp(mode, "proxy") == 0 && lifetime == nullptr) {
        storage.serve = SwiftServe::Proxy;
        return nullptr;
    }
    if (strcasecmp(mode, "redirect") != 0) {
        return problem(cmd, std::string("takes proxy, or redirect with an optional lifetime, not '") + mode + "'");
    }
    storage.serve = SwiftServe::Redirect;
    if (lifetime != nullptr) {
        const auto seconds = parse_duration(lifetime);
        if (!seconds || *seconds < 10 || *seconds > 7 * 24 * 3600) {
            return problem(cmd, std::string("a temp URL lifetime from 10s to 7d, not '") + lifetime + "'");
        }
        storage.redirect_lifetime = *seconds;
    }
    return nullptr;
}

const char* set_retention(cmd_parms* cmd, void*, const char* duration) {
    if (strcasecmp(duration, "off") == 0) {
        storage_of(cmd).retention = 0;
        return nullptr;
    }
    const auto seconds = parse_duration(duration);
    if (!seconds || *seconds < 60) {
        return problem(cmd, std::string("takes a duration of at least 60s (e.g. 30d), or Off, not '") + duration + "'");
    }
    storage_of(cmd).retention = *seconds;
    return nullptr;
}

const char* set_swift_listing(cmd_parms* cmd, void*, int on) {
    storage_of(cmd).listing = on ? 1 : 0;
    return nullptr;
}

int check_storage_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* main_server) {
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
        StorageConfig& storage = server_config(s)->storage;
        const char* host = s->server_hostname != nullptr ? s->server_hostname : "(main)";
        const char* error = nullptr;
        const bool uses_swift = storage.store == StoreKind::Swift || storage.listing == 1 ||
                                storage.serve == SwiftServe::Redirect || storage.catalogue != nullptr;
        if (storage.store == StoreKind::Swift && storage.catalogue == nullptr) {
            error = "ArtifactsStore swift needs ArtifactsCatalogue (the catalogue makes an upload visible)";
        } else if (uses_swift && storage.swift != nullptr && storage.container == nullptr) {
            error = "ArtifactsSwift needs ArtifactsSwiftContainer";
        } else if ((storage.store == StoreKind::Swift || storage.listing == 1) && storage.swift == nullptr) {
            error = "ArtifactsStore swift and ArtifactsSwiftListing need ArtifactsSwift";
        } else if (storage.listing == 1 && storage.shards > 1) {
            error =
                "ArtifactsSwiftListing lists one container: it cannot be combined with ArtifactsSwiftContainerShards";
        } else if (storage.serve == SwiftServe::Redirect && storage.swift != nullptr &&
                   storage.swift->settings().temp_url_key.empty()) {
            error = "ArtifactsSwiftServe redirect needs temp-url-key-file= on ArtifactsSwift";
        }
        if (error != nullptr) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, ARTF_LOGNO(0005) "%s (in %s:%u)", error, host, s->port);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        set_serving_chain(storage);
    }
    return OK;
}

int init_storage_libraries(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* main_server) {
    static bool initialised = false;
    if (initialised) {
        return OK;
    }
    initialised = true;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || mysql_library_init(0, nullptr, nullptr) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, main_server,
                     ARTF_LOGNO(0006) "cannot initialise libcurl or the MariaDB client library");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

bool rate_limit_allows(std::atomic<apr_time_t>& last_logged) {
    const apr_time_t now = apr_time_now();
    apr_time_t previous = last_logged.load();
    return now - previous >= apr_time_from_sec(10) && last_logged.compare_exchange_strong(previous, now);
}

}  // namespace artifacts::httpd
