// One HTTP request through libcurl, for the Swift client and its authentication:
// request headers in, status and headers out, the body streamed through callbacks.
// Easy handles come from a per-process pool, so the connections they keep open are
// reused by the next request on any thread.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artifacts {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The server could not be reached, or stopped answering: the caller answers 503.
class HttpUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct HttpResponse {
    long status = 0;
    HttpHeaders headers;  // names as the server wrote them
    std::string body;     // only when no body callback took it (capped at 64 KiB)

    // The value of the first header `name` (any case), or nullptr.
    const std::string* header(std::string_view name) const;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    HttpHeaders headers;
    // For PUT/POST: fills the buffer, returns the bytes written, 0 at the end of the body.
    // Throwing aborts the transfer: a chunked upload then never completes on the server.
    std::function<std::size_t(char* buffer, std::size_t size)> read_body;
    std::int64_t body_size = -1;  // of read_body's body when known; -1 sends it chunked
    std::string body;             // a small body sent as is (when read_body is empty)
    // Called once the final status and headers are known, before any body byte.
    std::function<void(const HttpResponse&)> on_head;
    // Called with each piece of a response body; returning false stops the transfer.
    // Without it the body is collected in HttpResponse::body.
    std::function<bool(std::string_view)> on_body;
    long connect_timeout_ms = 2000;
    long stall_timeout_s = 60;  // no byte either way for this long: give up
};

class CurlPool {
public:
    CurlPool() = default;
    ~CurlPool();
    CurlPool(const CurlPool&) = delete;
    CurlPool& operator=(const CurlPool&) = delete;

    // Runs the request. Throws HttpUnavailable when the server cannot be reached or the
    // transfer broke off (not when on_body stopped it, nor for any HTTP status).
    HttpResponse perform(HttpRequest& request, bool* body_started = nullptr);
    // Closes the idle handles (a child exits), or only those whose connection the server
    // has closed meanwhile (left alone, they sit in CLOSE-WAIT until reused).
    void close_idle();
    void drop_closed_idle();

private:
    CURL* borrow();
    void give_back(CURL* handle);

    std::mutex mutex_;
    std::vector<CURL*> idle_;
};

}  // namespace artifacts
