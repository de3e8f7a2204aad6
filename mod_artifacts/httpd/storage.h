// The production storage as the module sees it: the catalogue and the
// Swift client of a virtual host, and what a request learnt from them.
#pragma once

#include <httpd.h>
#include <http_config.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace artifacts {
class Catalogue;
class HttpUnavailable;
class SwiftClient;
}  // namespace artifacts

namespace artifacts::httpd {

struct DirConfig;
struct ServingSource;

constexpr int kMaxServingSources = 2;

enum class StoreKind { Unset = -1, Filesystem = 0, Swift = 1 };
enum class SwiftServe { Unset = -1, Proxy = 0, Redirect = 1 };

// Per virtual host; created by the directives, alive as long as the configuration.
struct StorageConfig {
    Catalogue* catalogue = nullptr;      // ArtifactsCatalogue
    SwiftClient* swift = nullptr;        // ArtifactsSwift
    const char* container = nullptr;     // ArtifactsSwiftContainer
    int shards = -1;                     // ArtifactsSwiftContainerShards (-1 unset: none)
    StoreKind store = StoreKind::Unset;  // ArtifactsStore (unset: fs)
    SwiftServe serve = SwiftServe::Unset;
    apr_int64_t redirect_lifetime = -1;  // seconds a redirect's temp URL lives (-1 unset: 15 min)
    apr_int64_t retention = -1;          // ArtifactsRetention, seconds (-1 unset, 0 Off)
    int listing = -1;                    // ArtifactsSwiftListing (-1 unset: Off)
    // Where a GET is answered from, in order (serving_chain.h).
    const ServingSource* chain[kMaxServingSources] = {};  // not merged: set from the merged fields
};

constexpr apr_int64_t kDefaultRedirectLifetime = 15 * 60;

void merge_storage_config(const StorageConfig& base, const StorageConfig& add, StorageConfig& merged);

// Where a GET or HEAD is answered from when it is not the filesystem.
struct SwiftSource {
    std::string container;
    std::string object;
    std::string content_type;  // "" to take Swift's
    bool from_catalogue = false;
    std::string catalogue_path;    // the path whose row named the object (from_catalogue)
    std::string stored_encoding;   // that row's content_encoding
    bool inflate = false;          // the object holds gzip bytes this client gets decoded (ARTIFACTS_GUNZIP)
    bool log_page = false;         // a browser's page of a log: HTMLIFY renders the object
    bool directory_page = false;   // listing mode: a directory's own index.html, else the module's index
    bool compressed_name = false;  // the catalogue's "name" stored gzip, asked for as "name.gz"
};

// In each child: closes the pooled connections the servers closed, and all of them when
// the child exits (connection_upkeep.cc).
void start_connection_upkeep(apr_pool_t* pchild, server_rec* main_server);

// A path the filesystem lacks while the catalogue could not be asked: 503 with Retry-After.
int answer_catalogue_unreachable(request_rec* r);

// The object a catalogue source names now, when its row was rewritten since the fixup
// read it (an overwrite commits the row, then deletes the object the old row named):
// nothing when the row is gone, unchanged, a directory, or of another content_encoding.
std::optional<SwiftSource> source_moved(request_rec* r, const SwiftSource& source);

// The Swift handler (swift_handler.cc).
inline constexpr char kSwiftHandler[] = "artifacts-swift";
int handle_swift_object(request_rec* r);
// Swift (or its authentication) cannot be reached: ARTF0403 (rate-limited) and a 503 with
// Retry-After, for the handler to return.
int answer_swift_unavailable(request_rec* r, const HttpUnavailable& e);

// For log lines that would repeat with every request while a backend is down: true at
// most once every 10 seconds per `last_logged` (one per kind of line, per process).
bool rate_limit_allows(std::atomic<apr_time_t>& last_logged);

// ARTF0401 (unavailable) or ARTF0402 (an error the catalogue answered), rate-limited:
// the request goes on with the filesystem.
void log_catalogue_failure(request_rec* r, const std::exception& e);

// Directives (storage_config.cc).
const char* set_catalogue(cmd_parms* cmd, void*, const char* settings);
const char* set_swift(cmd_parms* cmd, void*, int argc, char* const argv[]);
const char* set_swift_container(cmd_parms* cmd, void*, const char* name);
const char* set_swift_shards(cmd_parms* cmd, void*, const char* count);
const char* set_store(cmd_parms* cmd, void*, const char* kind);
const char* set_swift_serve(cmd_parms* cmd, void*, const char* mode, const char* lifetime);
const char* set_retention(cmd_parms* cmd, void*, const char* duration);
const char* set_swift_listing(cmd_parms* cmd, void*, int on);
// check_config: the combinations that cannot work.
int check_storage_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
// post_config: libcurl and libmariadb are initialised once, before any thread.
int init_storage_libraries(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);

}  // namespace artifacts::httpd
