#include "brigade_sink.h"

namespace artifacts::httpd {

BrigadeSink::BrigadeSink(request_rec* r) : r_(r), brigade_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {}

void BrigadeSink::write(std::string_view bytes) {
    if (status_ != APR_SUCCESS || bytes.empty()) {
        return;
    }
    apr_bucket* bucket = apr_bucket_heap_create(bytes.data(), bytes.size(), nullptr, brigade_->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(brigade_, bucket);
    status_ = ap_pass_brigade(r_->output_filters, brigade_);
    apr_brigade_cleanup(brigade_);
}

apr_status_t BrigadeSink::finish() {
    if (status_ == APR_SUCCESS) {
        APR_BRIGADE_INSERT_TAIL(brigade_, apr_bucket_eos_create(brigade_->bucket_alloc));
        status_ = ap_pass_brigade(r_->output_filters, brigade_);
        apr_brigade_cleanup(brigade_);
    }
    return status_;
}

}  // namespace artifacts::httpd
