#include "brigade_sink.h"

namespace artifacts::httpd {

BrigadeSink::BrigadeSink(request_rec* r)
    : chain_(&r->output_filters), brigade_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {}

BrigadeSink::BrigadeSink(ap_filter_t* f)
    : chain_(&f->next), brigade_(apr_brigade_create(f->r->pool, f->c->bucket_alloc)) {}

void BrigadeSink::write(std::string_view bytes) {
    if (status_ != APR_SUCCESS || bytes.empty()) {
        return;
    }
    APR_BRIGADE_INSERT_TAIL(brigade_,
                            apr_bucket_heap_create(bytes.data(), bytes.size(), nullptr, brigade_->bucket_alloc));
    pass();
}

void BrigadeSink::write_transient(std::string_view bytes) {
    if (status_ != APR_SUCCESS || bytes.empty()) {
        return;
    }
    APR_BRIGADE_INSERT_TAIL(brigade_, apr_bucket_transient_create(bytes.data(), bytes.size(), brigade_->bucket_alloc));
    pass();
}

void BrigadeSink::pass_bucket(apr_bucket* bucket) {
    APR_BUCKET_REMOVE(bucket);
    APR_BRIGADE_INSERT_TAIL(brigade_, bucket);
    if (status_ == APR_SUCCESS) {
        pass();
    } else {
        apr_brigade_cleanup(brigade_);
    }
}

apr_status_t BrigadeSink::finish() {
    if (status_ == APR_SUCCESS) {
        APR_BRIGADE_INSERT_TAIL(brigade_, apr_bucket_eos_create(brigade_->bucket_alloc));
        pass();
    }
    return status_;
}

void BrigadeSink::pass() {
    status_ = ap_pass_brigade(*chain_, brigade_);
    apr_brigade_cleanup(brigade_);
}

}  // namespace artifacts::httpd
