// Adapts the core's Sink to an output filter chain: every block the core writes becomes
// a heap bucket passed down at once, so a page is never held whole. A handler writes to
// the request's whole chain, a filter to the filters after it.
#pragma once

#include <httpd.h>
#include <util_filter.h>

#include <cstdint>
#include <memory>

#include "../core/codec/gunzip.h"
#include "../core/http/sink.h"

namespace artifacts::httpd {

class BrigadeSink final : public Sink {
public:
    // For a handler: passes to the request's output filters.
    explicit BrigadeSink(request_rec* r);
    // For a filter: passes to the filters after f.
    explicit BrigadeSink(ap_filter_t* f);

    // From now on what is written is gzip-encoded (Content-Encoding: gzip is the caller's to
    // set), each write flushed so that the client can show it at once; EOS ends the member.
    void encode_gzip();

    void write(std::string_view bytes) override;
    // The same without a copy: `bytes` need only live until the call returns (a filter that
    // keeps them sets them aside, as for any transient bucket).
    void write_transient(std::string_view bytes);
    // A metadata bucket (FLUSH, EOS, ...) taken from an input brigade goes on after what
    // was written before it.
    void pass_bucket(apr_bucket* bucket);
    // Sends EOS; returns the first error the chain reported (a client that went away).
    apr_status_t finish();
    apr_status_t status() const { return status_; }
    // Bytes written so far, before any encoding.
    std::uint64_t written() const { return written_; }

private:
    void put(std::string_view bytes, bool transient);
    void end_encoding();
    void pass();

    // Read at every pass, not once: a filter that removes itself changes the chain.
    ap_filter_t* const* chain_;
    apr_bucket_brigade* brigade_;
    apr_status_t status_ = APR_SUCCESS;
    std::uint64_t written_ = 0;
    std::unique_ptr<GzipEncoder> encoder_;
};

}  // namespace artifacts::httpd
