#include "upload_body.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "../core/http/content_type.h"

namespace artifacts::tools {

namespace {

constexpr std::size_t kBlock = 64 * 1024;

}  // namespace

UploadBody::UploadBody(std::string path, bool gzip) : path_(std::move(path)), gzip_(gzip) {
    open();
}

UploadBody::~UploadBody() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
    if (stream_ready_) {
        deflateEnd(&stream_);
    }
}

void UploadBody::open() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
    file_ = std::fopen(path_.c_str(), "rb");
    if (file_ == nullptr) {
        throw std::runtime_error("cannot open '" + path_ + "': " + std::strerror(errno));
    }
    if (stream_ready_) {
        deflateEnd(&stream_);
        stream_ready_ = false;
    }
    if (gzip_) {
        stream_ = z_stream{};
        // windowBits 15 + 16: a gzip wrapper whose header has no name and a zero mtime.
        if (deflateInit2(&stream_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            throw std::runtime_error("cannot start gzip compression");
        }
        stream_ready_ = true;
    }
    input_done_ = false;
    output_done_ = false;
    input_.clear();
    sha_ = std::make_unique<Sha256>();
    sent_ = 0;
}

void UploadBody::rewind() {
    open();
}

std::size_t UploadBody::read_plain(char* out, std::size_t capacity) {
    const std::size_t got = std::fread(out, 1, capacity, file_);
    if (got == 0 && std::ferror(file_)) {
        throw std::runtime_error("cannot read '" + path_ + "': " + std::strerror(errno));
    }
    return got;
}

std::size_t UploadBody::read_compressed(char* out, std::size_t capacity) {
    stream_.next_out = reinterpret_cast<Bytef*>(out);
    stream_.avail_out = static_cast<uInt>(capacity);
    while (stream_.avail_out > 0 && !output_done_) {
        if (stream_.avail_in == 0 && !input_done_) {
            input_.resize(kBlock);
            const std::size_t got = read_plain(input_.data(), input_.size());
            input_.resize(got);
            input_done_ = got == 0;
            stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
            stream_.avail_in = static_cast<uInt>(got);
        }
        const int status = deflate(&stream_, input_done_ ? Z_FINISH : Z_NO_FLUSH);
        if (status == Z_STREAM_END) {
            output_done_ = true;
        } else if (status != Z_OK && status != Z_BUF_ERROR) {
            throw std::runtime_error("gzip compression of '" + path_ + "' failed");
        }
    }
    return capacity - stream_.avail_out;
}

std::size_t UploadBody::read(char* out, std::size_t capacity) {
    const std::size_t got = gzip_ ? read_compressed(out, capacity) : read_plain(out, capacity);
    sha_->update(std::string_view(out, got));
    sent_ += got;
    return got;
}

std::string UploadBody::sha256_hex() {
    return sha_->hex_digest();
}

bool worth_compressing(const std::string& name) {
    const ContentType type = content_type_for(name);
    if (!type.encoding.empty() || type.media_type == "application/gzip") {
        return false;
    }
    const std::string_view media = type.media_type;
    return media.substr(0, 5) == "text/" || media == "application/json" || media == "application/xml";
}

std::string file_sha256(const std::string& path) {
    UploadBody body(path, false);
    char buffer[kBlock];
    while (body.read(buffer, sizeof buffer) > 0) {
    }
    return body.sha256_hex();
}

}  // namespace artifacts::tools
