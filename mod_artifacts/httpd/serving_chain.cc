#include "serving_chain.h"

#include <http_log.h>

#include "module.h"
#include "storage.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

const ServingSource kCatalogueSource{"catalogue", route_catalogue, list_catalogue};
const ServingSource kDiskSource{"disk", route_disk, list_disk};
const ServingSource kListingSource{"swift listing", route_listing, list_listing};

const StorageConfig& storage_of(request_rec* r) {
    return server_config(r->server)->storage;
}

}  // namespace

void set_serving_chain(StorageConfig& storage) {
    if (storage.catalogue != nullptr) {
        storage.chain[0] = &kCatalogueSource;
        storage.chain[1] = &kDiskSource;
    } else if (storage.listing == 1 && storage.swift != nullptr) {
        storage.chain[0] = &kDiskSource;  // the disk first, its name.gz included
        storage.chain[1] = &kListingSource;
    } else {
        storage.chain[0] = &kDiskSource;
        storage.chain[1] = nullptr;
    }
}

Routed route_request(request_rec* r, bool log_page) {
    for (const ServingSource* source : storage_of(r).chain) {
        if (source == nullptr) {
            break;
        }
        const Routed routed = source->route(r, log_page);
        if (routed.status != DECLINED) {
            return routed;
        }
    }
    // A sub-request (index.html, a sibling) only asks whether the path is there.
    if (request_state(r)->catalogue_unreachable && r->main == nullptr) {
        return Routed{answer_catalogue_unreachable(r)};
    }
    return Routed{};
}

int list_directory(request_rec* r, const NameFilter& hide, IndexEntries& entries) {
    bool known = false;
    int contributing = 0;
    for (const ServingSource* source : storage_of(r).chain) {
        if (source == nullptr) {
            break;
        }
        const std::size_t before = entries.size();
        const int status = source->list(r, hide, entries);
        if (status != OK && status != DECLINED) {
            return status;
        }
        known = known || status == OK;
        contributing += entries.size() > before ? 1 : 0;
    }
    if (!known) {
        return HTTP_NOT_FOUND;
    }
    if (contributing > 1) {
        // One entry per name: the first source's (stable: the earlier source's comes first).
        std::stable_sort(entries.begin(), entries.end(),
                         [](const IndexEntry& a, const IndexEntry& b) { return a.name < b.name; });
        entries.erase(std::unique(entries.begin(), entries.end(),
                                  [](const IndexEntry& a, const IndexEntry& b) { return a.name == b.name; }),
                      entries.end());
    }
    return OK;
}

}  // namespace artifacts::httpd
