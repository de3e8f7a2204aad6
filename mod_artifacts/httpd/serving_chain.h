// Where a GET is answered from: the sources of a virtual host, in the order its storage
// configuration gives them, set once when the configuration is checked:
//   with ArtifactsCatalogue: the catalogue (its rows name Swift objects), then the disk;
//   with ArtifactsSwiftListing On: the disk, then the Swift container;
//   otherwise: the disk alone.
// One piece of code walks them (route_request for the fixup, list_directory for the
// index handler); what follows the routing (HTMLIFY, the gzip negotiation of a .gz name)
// and the index's rendering do not know which source answered. A source is a pair of
// functions, as an httpd provider is (mod_dav's repository hooks): a new source is one
// such pair and one line in set_serving_chain.
#pragma once

#include <httpd.h>

#include "../backends/fs_directory.h"
#include "../core/index/index_model.h"

namespace artifacts::httpd {

struct StorageConfig;

// What a source did with a request.
struct Routed {
    int status = DECLINED;  // DECLINED: not here, ask the next; OK: routed; another: the answer
    bool file = false;      // a file's bytes are the answer: HTMLIFY applies
    bool by_name = false;   // ... and they are the file the URL names: a .gz name is served as what it holds
};

struct ServingSource {
    const char* name;
    // Routes `r` when the source holds its path: sets r->handler (or leaves a disk file to
    // Apache's core handler).
    Routed (*route)(request_rec* r, bool log_page);
    // Appends the entries of the request's directory that `hide` lets through: OK when the
    // source knows the directory, DECLINED when it does not, another status to answer it.
    int (*list)(request_rec* r, const NameFilter& hide, IndexEntries& entries);
};

// The order of the sources for `storage` (check_storage_config).
void set_serving_chain(StorageConfig& storage);

// The fixup's walk: the first source that does not decline. When every one declines and
// the catalogue could not be asked, 503 (a 404 would be a lie that caches keep).
Routed route_request(request_rec* r, bool log_page);

// The index handler's walk: every source's entries, the first source's entry kept for a
// name both have. OK, or 404 when no source knows the directory, or a source's status.
int list_directory(request_rec* r, const NameFilter& hide, IndexEntries& entries);

// The sources (serving_chain.cc), with their functions where their storage is handled.
Routed route_catalogue(request_rec* r, bool log_page);  // storage_routing.cc
int list_catalogue(request_rec* r, const NameFilter& hide, IndexEntries& entries);
Routed route_listing(request_rec* r, bool log_page);  // storage_routing.cc
int list_listing(request_rec* r, const NameFilter& hide, IndexEntries& entries);
Routed route_disk(request_rec* r, bool log_page);                              // request_mapping.cc
int list_disk(request_rec* r, const NameFilter& hide, IndexEntries& entries);  // index_handler.cc

}  // namespace artifacts::httpd
