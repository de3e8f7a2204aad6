// Adapts the core's Sink to an output filter chain: every block the core writes becomes
// a heap bucket passed down at once, so a page is never held whole.
#pragma once

#include <httpd.h>
#include <util_filter.h>

#include "../core/sink.h"

namespace artifacts::httpd {

class BrigadeSink final : public Sink {
public:
    explicit BrigadeSink(request_rec* r);
    void write(std::string_view bytes) override;
    // Sends EOS; returns the first error the chain reported (a client that went away).
    apr_status_t finish();

private:
    request_rec* r_;
    apr_bucket_brigade* brigade_;
    apr_status_t status_ = APR_SUCCESS;
};

}  // namespace artifacts::httpd
