// The Swift client: authentication (v1 tempauth or Keystone v3 password)
// with the token cached per process and renewed on a 401; objects read as a stream with
// Range and conditional headers passed through, written as a chunked stream whose MD5 is
// checked against Swift's ETag; HEAD, DELETE, container listings and temp URLs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http_exchange.h"

namespace artifacts {

struct SwiftSettings {
    enum class Auth { V1, V3 };
    Auth auth = Auth::V1;
    std::string auth_url;
    std::string user;      // v1: "account:user"; v3: the user's name
    std::string password;  // from key-file= / password-file=
    std::string project;   // v3
    std::string user_domain = "Default";
    std::string project_domain = "Default";
    std::string region;                // v3: the catalog endpoint's region ("" for any)
    std::string interface = "public";  // v3: the catalog endpoint's interface
    std::string storage_url;           // overrides the one authentication gives
    std::string temp_url_key;          // from temp-url-key-file=
    long connect_timeout_ms = 2000;
    unsigned listing_page = 10000;  // names per listing request (Swift's container_listing_limit)
};

// Parses ArtifactsSwift's arguments: "v1|v3 AUTH_URL USER key=value...". Returns an error
// sentence, or "" when `out` is set. Secrets are read from the files named.
std::string parse_swift_settings(const std::vector<std::string>& arguments, SwiftSettings& out);

// The storage URL of a Keystone v3 token's catalog: the object-store endpoint with the
// interface (and region, when given). Empty when there is none.
std::string object_store_endpoint(std::string_view token_json, std::string_view region, std::string_view interface);

// Swift answered something the module cannot use (a 4xx other than 404/401/412/416, a
// wrong ETag): the request fails with 502.
class SwiftError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class SwiftClient {
public:
    explicit SwiftClient(SwiftSettings settings);

    // GET (or HEAD) of an object. request_headers go to Swift as they are (Range,
    // If-None-Match, ...). on_head sees the status and headers before the body; the body
    // of a 2xx reaches on_body piece by piece as it arrives. Throws HttpUnavailable when
    // Swift is away (also for 5xx).
    HttpResponse fetch(bool head_only, std::string_view container, std::string_view object,
                       const HttpHeaders& request_headers, const std::function<void(const HttpResponse&)>& on_head,
                       const std::function<bool(std::string_view)>& on_body);

    // PUT of an object from a stream (read_body as in HttpRequest; size -1 when unknown,
    // sent chunked). Creates the container when missing. Returns Swift's ETag after
    // checking it is the MD5 of what was sent; on a mismatch the object is deleted and
    // SwiftError thrown.
    std::string put(std::string_view container, std::string_view object, const HttpHeaders& headers,
                    const std::function<std::size_t(char*, std::size_t)>& read_body, std::int64_t size);

    // DELETE; an object already gone is fine.
    void remove(std::string_view container, std::string_view object);

    // One page of a container listing (JSON), or "[]" for a missing container.
    std::string list(std::string_view container, std::string_view prefix, std::string_view delimiter,
                     std::string_view marker, unsigned limit);

    // A temp URL for `method` on the object until `expires`; empty without temp-url-key-file.
    std::string temp_url(std::string_view method, std::string_view container, std::string_view object,
                         std::int64_t expires);

    const SwiftSettings& settings() const { return settings_; }
    // See CurlPool.
    void close_idle() { curl_.close_idle(); }
    void drop_closed_idle() { curl_.drop_closed_idle(); }

private:
    struct Credentials {
        std::string token;
        std::string storage_url;
        std::chrono::steady_clock::time_point expires;
        // When the token was issued, by this machine's wall clock.
        std::chrono::system_clock::time_point issued;
    };
    Credentials credentials();
    void forget(const std::string& token);
    Credentials authenticate();
    // Runs `request` against storage_url + path with the token, once more with a fresh
    // token after a 401 when no body byte was sent yet. With Keystone, a fresh token that is
    // refused too gets one last try in the next second (see send()).
    HttpResponse send(HttpRequest& request, const std::string& path_and_query);
    void create_container(std::string_view container);

    SwiftSettings settings_;
    CurlPool curl_;
    std::mutex mutex_;
    std::optional<Credentials> cached_;
    std::set<std::string> known_containers_;
};

}  // namespace artifacts
