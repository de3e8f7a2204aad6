#include "brigade_sink.h"

namespace artifacts::httpd {

BrigadeSink::BrigadeSink(request_rec* r)
    : chain_(&r->output_filters), brigade_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {}

BrigadeSink::BrigadeSink(ap_filter_t* f)
    : chain_(&f->next), brigade_(apr_brigade_create(f->r->pool, f->c->bucket_alloc)) {}

void BrigadeSink::encode_gzip() {
    encoder_ = std::make_unique<GzipEncoder>();
}

void BrigadeSink::write(std::string_view bytes) {
    written_ += bytes.size();
    if (encoder_ != nullptr) {
        // The encoder's block is reused after each call: passed on at once, as transient bytes.
        encoder_->write(bytes, [this](std::string_view block) { put(block, true); });
        return;
    }
    put(bytes, false);
}

void BrigadeSink::write_transient(std::string_view bytes) {
    if (encoder_ != nullptr) {
        write(bytes);
        return;
    }
    written_ += bytes.size();
    put(bytes, true);
}

void BrigadeSink::put(std::string_view bytes, bool transient) {
    if (status_ != APR_SUCCESS || bytes.empty()) {
        return;
    }
    APR_BRIGADE_INSERT_TAIL(
        brigade_, transient ? apr_bucket_transient_create(bytes.data(), bytes.size(), brigade_->bucket_alloc)
                            : apr_bucket_heap_create(bytes.data(), bytes.size(), nullptr, brigade_->bucket_alloc));
    pass();
}

void BrigadeSink::end_encoding() {
    if (encoder_ != nullptr) {
        encoder_->finish([this](std::string_view block) { put(block, true); });
    }
}

void BrigadeSink::pass_bucket(apr_bucket* bucket) {
    if (APR_BUCKET_IS_EOS(bucket)) {
        end_encoding();
    }
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
        end_encoding();
    }
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
