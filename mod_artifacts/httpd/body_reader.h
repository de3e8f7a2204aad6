// Reads a request body piece by piece from the input filters (HTTP_IN de-chunks), so an
// upload of any size passes through one bucket at a time.
#pragma once

#include <httpd.h>
#include <util_filter.h>

#include <stdexcept>
#include <string_view>

#include "../core/store/store.h"

namespace artifacts::httpd {

// The body could not be read: the client went away or timed out, or an input filter
// refused it (status is then ap_map_http_request_error's answer).
class BodyError : public std::runtime_error {
public:
    BodyError(apr_status_t cause, int status)
        : std::runtime_error("cannot read the request body"), cause_(cause), status_(status) {}
    apr_status_t cause() const { return cause_; }
    int status() const { return status_; }

private:
    apr_status_t cause_;
    int status_;
};

// The request body as the upload pipeline pulls it. At its end the request is marked as
// read whole, so a refusal answered afterwards keeps the connection.
class BodyReader final : public ByteSource {
public:
    explicit BodyReader(request_rec* r);
    // The next piece of the body, valid until the next call; empty at its end.
    std::string_view next() override;
    // Reads and drops what is left (tar padding after the last member).
    void drain();
    bool finished() const { return finished_; }

private:
    request_rec* r_;
    apr_bucket_brigade* brigade_;
    apr_bucket* handed_out_ = nullptr;  // its bytes are the caller's until the next call
    bool finished_ = false;
};

}  // namespace artifacts::httpd
