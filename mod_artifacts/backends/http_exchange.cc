#include "http_exchange.h"

#include <strings.h>

#include <chrono>
#include <cstring>
#include <exception>

#include "../core/metrics/metrics.h"
#include "idle_socket.h"

namespace artifacts {

namespace {

constexpr std::size_t kMaxCollectedBody = 64 * 1024;
constexpr long kReceiveBuffer = 128 * 1024;

struct Exchange {
    HttpRequest& request;
    HttpResponse response;
    bool head_done = false;
    bool stopped_by_caller = false;
    bool body_started = false;
    std::exception_ptr error;

    void finish_head() {
        if (!head_done) {
            head_done = true;
            if (request.on_head) {
                request.on_head(response);
            }
        }
    }
};

void close_handle(CURL* handle) {
    curl_easy_cleanup(handle);
    metrics::record_connection(metrics::Backend::Swift, false);
}

// Latency is the time until Swift began its response (a streamed body is the client's
// pace, not Swift's); a transfer that failed before any response counts whole.
void count_exchange(CURL* handle, CURLcode code, const Exchange& exchange,
                    std::chrono::steady_clock::time_point started) {
    curl_off_t until_response = 0;
    double seconds = 0;
    if (curl_easy_getinfo(handle, CURLINFO_STARTTRANSFER_TIME_T, &until_response) == CURLE_OK && until_response > 0) {
        seconds = static_cast<double>(until_response) / 1e6;
    } else {
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    const bool transfer_failed =
        code != CURLE_OK && !exchange.error && !(code == CURLE_WRITE_ERROR && exchange.stopped_by_caller);
    metrics::record_backend_request(metrics::Backend::Swift, seconds,
                                    transfer_failed || exchange.response.status >= 500);
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ')) {
        text.remove_suffix(1);
    }
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    return text;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* context) {
    auto& exchange = *static_cast<Exchange*>(context);
    const std::size_t length = size * count;
    const std::string_view line = trimmed(std::string_view(data, length));
    try {
        if (line.substr(0, 5) == "HTTP/") {
            // A new status line (after 100 Continue, or a retry) starts the headers afresh.
            const std::size_t space = line.find(' ');
            exchange.response.status = space == std::string_view::npos ? 0 : std::atol(line.data() + space + 1);
            exchange.response.headers.clear();
        } else if (line.empty()) {
            if (exchange.response.status >= 200) {
                exchange.finish_head();
            }
        } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
            exchange.response.headers.emplace_back(std::string(trimmed(line.substr(0, colon))),
                                                   std::string(trimmed(line.substr(colon + 1))));
        }
    } catch (...) {
        exchange.error = std::current_exception();
        return 0;
    }
    return length;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* context) {
    auto& exchange = *static_cast<Exchange*>(context);
    const std::size_t length = size * count;
    try {
        exchange.finish_head();
        const long status = exchange.response.status;
        if (exchange.request.on_body && status >= 200 && status < 300) {
            if (!exchange.request.on_body(std::string_view(data, length))) {
                exchange.stopped_by_caller = true;
                return 0;
            }
        } else if (exchange.response.body.size() < kMaxCollectedBody) {
            exchange.response.body.append(data, std::min(length, kMaxCollectedBody - exchange.response.body.size()));
        }
    } catch (...) {
        exchange.error = std::current_exception();
        return 0;
    }
    return length;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* context) {
    auto& exchange = *static_cast<Exchange*>(context);
    exchange.body_started = true;
    try {
        return exchange.request.read_body(buffer, size * count);
    } catch (...) {
        exchange.error = std::current_exception();
        return CURL_READFUNC_ABORT;
    }
}

}  // namespace

const std::string* HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
            return &value;
        }
    }
    return nullptr;
}

CurlPool::~CurlPool() {
    for (CURL* handle : idle_) {
        close_handle(handle);
    }
}

CURL* CurlPool::borrow() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (!idle_.empty()) {
            CURL* handle = idle_.back();
            idle_.pop_back();
            curl_easy_reset(handle);  // keeps the handle's open connections
            return handle;
        }
    }
    CURL* handle = curl_easy_init();
    if (handle == nullptr) {
        throw std::bad_alloc();
    }
    metrics::record_connection(metrics::Backend::Swift, true);
    return handle;
}

void CurlPool::give_back(CURL* handle) {
    constexpr std::size_t kMaxIdle = 64;
    const std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < kMaxIdle) {
        idle_.push_back(handle);
    } else {
        close_handle(handle);
    }
}

void CurlPool::close_idle() {
    std::vector<CURL*> closing;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        closing.swap(idle_);
    }
    for (CURL* handle : closing) {
        close_handle(handle);
    }
}

void CurlPool::drop_closed_idle() {
    std::vector<CURL*> closing;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = idle_.begin(); it != idle_.end();) {
            curl_socket_t socket = CURL_SOCKET_BAD;
            const bool closed = curl_easy_getinfo(*it, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK &&
                                socket != CURL_SOCKET_BAD && !idle_socket_is_quiet(socket);
            if (closed) {
                closing.push_back(*it);
                it = idle_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (CURL* handle : closing) {
        close_handle(handle);
    }
}

HttpResponse CurlPool::perform(HttpRequest& request, bool* body_started) {
    CURL* handle = borrow();
    struct Returned {
        CurlPool& pool;
        CURL* handle;
        ~Returned() { pool.give_back(handle); }
    } returned{*this, handle};
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) {
        const std::string line = name + ": " + value;
        curl_slist* appended = curl_slist_append(headers, line.c_str());
        if (appended == nullptr) {
            curl_slist_free_all(headers);
            throw std::bad_alloc();
        }
        headers = appended;
    }
    const std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, curl_slist_free_all);

    Exchange exchange{request, {}, false, false, false, nullptr};
    curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, request.connect_timeout_ms);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
    curl_easy_setopt(handle, CURLOPT_BUFFERSIZE, kReceiveBuffer);
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &exchange);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &exchange);
    if (request.method == "HEAD") {
        curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
        curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
        if (!request.read_body) {
            request.body_size = static_cast<std::int64_t>(request.body.size());
            request.read_body = [&request, offset = std::size_t{0}](char* buffer, std::size_t size) mutable {
                const std::size_t n = std::min(size, request.body.size() - offset);
                std::memcpy(buffer, request.body.data() + offset, n);
                offset += n;
                return n;
            };
        }
        curl_easy_setopt(handle, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(handle, CURLOPT_READDATA, &exchange);
        curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
    } else if (request.method == "POST") {
        curl_easy_setopt(handle, CURLOPT_POST, 1L);
        curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    const auto started = std::chrono::steady_clock::now();
    const CURLcode code = curl_easy_perform(handle);
    count_exchange(handle, code, exchange, started);
    if (body_started != nullptr) {
        *body_started = exchange.body_started;
    }
    if (exchange.error) {
        std::rethrow_exception(exchange.error);
    }
    if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && exchange.stopped_by_caller)) {
        throw HttpUnavailable(std::string(request.method) + " " + request.url.substr(0, request.url.find('?')) + ": " +
                              curl_easy_strerror(code));
    }
    if (code == CURLE_OK) {
        exchange.finish_head();
    }
    return std::move(exchange.response);
}

}  // namespace artifacts
