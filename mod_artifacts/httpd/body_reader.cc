#include "body_reader.h"

#include <http_protocol.h>

#include "upload_reply.h"

namespace artifacts::httpd {

namespace {

constexpr apr_off_t kReadSize = 64 * 1024;

}  // namespace

BodyReader::BodyReader(request_rec* r) : r_(r), brigade_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {}

std::string_view BodyReader::next() {
    while (!finished_) {
        if (handed_out_ != nullptr) {  // the caller is done with its bytes
            apr_bucket_delete(handed_out_);
            handed_out_ = nullptr;
        }
        if (APR_BRIGADE_EMPTY(brigade_)) {
            const apr_status_t status =
                ap_get_brigade(r_->input_filters, brigade_, AP_MODE_READBYTES, APR_BLOCK_READ, kReadSize);
            if (status != APR_SUCCESS) {
                finished_ = true;
                throw BodyError(status, ap_map_http_request_error(status, HTTP_BAD_REQUEST));
            }
            continue;
        }
        apr_bucket* bucket = APR_BRIGADE_FIRST(brigade_);
        if (APR_BUCKET_IS_EOS(bucket)) {
            finished_ = true;
            apr_brigade_cleanup(brigade_);
            mark_body_read(r_);
            break;
        }
        if (APR_BUCKET_IS_METADATA(bucket)) {
            apr_bucket_delete(bucket);
            continue;
        }
        const char* data = nullptr;
        apr_size_t length = 0;
        const apr_status_t status = apr_bucket_read(bucket, &data, &length, APR_BLOCK_READ);
        if (status != APR_SUCCESS) {
            finished_ = true;
            throw BodyError(status, ap_map_http_request_error(status, HTTP_BAD_REQUEST));
        }
        handed_out_ = bucket;
        if (length > 0) {
            return std::string_view(data, length);
        }
    }
    return {};
}

void BodyReader::drain() {
    while (!next().empty()) {
    }
}

}  // namespace artifacts::httpd
