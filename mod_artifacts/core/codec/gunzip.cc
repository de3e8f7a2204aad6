#include "gunzip.h"

#include <zlib.h>

#include <algorithm>
#include <string>

namespace artifacts {

namespace {
constexpr std::size_t kBlock = 64 * 1024;
}

struct GzipDecoder::State {
    z_stream stream{};
    std::unique_ptr<unsigned char[]> block{new unsigned char[kBlock]};
};

bool may_start_gzip(std::string_view prefix) {
    constexpr std::string_view kMagic = "\x1f\x8b";
    const std::size_t checked = std::min(prefix.size(), kMagic.size());
    return prefix.compare(0, checked, kMagic, 0, checked) == 0;
}

bool looks_like_gzip(std::string_view bytes) {
    return bytes.size() >= 3 && may_start_gzip(bytes) && bytes[2] == 8;
}

GzipDecoder::GzipDecoder() : state_(new State) {
    // 16 + MAX_WBITS: gzip framing only, so a damaged header is an error, not raw deflate.
    if (inflateInit2(&state_->stream, 16 + MAX_WBITS) != Z_OK) {
        throw GzipError("zlib could not start a decoder");
    }
}

GzipDecoder::~GzipDecoder() {
    inflateEnd(&state_->stream);
}

void GzipDecoder::feed(std::string_view input, const Output& out) {
    z_stream& stream = state_->stream;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    // Runs until the input is used up and zlib has no output left (a full block may hide more).
    bool block_full = false;
    while (stream.avail_in > 0 || block_full) {
        if (!in_member_) {
            // A new member starts: the previous one ended, or this is the first.
            if (inflateReset(&stream) != Z_OK) {
                throw GzipError("zlib could not restart the decoder");
            }
            in_member_ = true;
            ++members_;
        }
        stream.next_out = state_->block.get();
        stream.avail_out = kBlock;
        const uInt before = stream.avail_in;
        const int status = inflate(&stream, Z_NO_FLUSH);
        consumed_ += before - stream.avail_in;
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) {
            throw GzipError(std::string("the gzip data is damaged after ") + std::to_string(consumed_) +
                            " compressed bytes" + (stream.msg != nullptr ? std::string(" (") + stream.msg + ")" : ""));
        }
        const std::size_t produced = kBlock - stream.avail_out;
        if (produced > 0) {
            out(std::string_view(reinterpret_cast<const char*>(state_->block.get()), produced));
        }
        block_full = stream.avail_out == 0;
        if (status == Z_STREAM_END) {
            in_member_ = false;
            block_full = false;
        } else if (status == Z_BUF_ERROR && produced == 0) {
            break;
        }
    }
}

void GzipDecoder::finish() const {
    if (in_member_) {
        throw GzipError("the gzip data ends early, after " + std::to_string(consumed_) + " compressed bytes");
    }
}

void GzipVerifier::feed(std::string_view piece) {
    decoder_.feed(piece, [](std::string_view) {});
    if (decoder_.members() > 1) {
        throw GzipError("more follows the gzip member after " + std::to_string(decoder_.consumed()) +
                        " bytes (send one member: most clients decode only the first)");
    }
}

void GzipVerifier::finish() const {
    if (decoder_.consumed() == 0) {
        throw GzipError("the gzip data is empty");
    }
    decoder_.finish();
}

}  // namespace artifacts

namespace artifacts {

struct GzipEncoder::State {
    z_stream stream{};
    std::unique_ptr<unsigned char[]> block{new unsigned char[kBlock]};
};

GzipEncoder::GzipEncoder(int level) : state_(new State) {
    // 16 + MAX_WBITS: a gzip member; memLevel 8 is zlib's default (about 256 KiB in all).
    if (deflateInit2(&state_->stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw GzipError("zlib could not start an encoder");
    }
}

GzipEncoder::~GzipEncoder() {
    deflateEnd(&state_->stream);
}

void GzipEncoder::run(std::string_view input, int flush, const Output& out) {
    z_stream& stream = state_->stream;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    // zlib is done with a flush when it leaves room in the output block.
    do {
        stream.next_out = state_->block.get();
        stream.avail_out = kBlock;
        const int status = deflate(&stream, flush);
        if (status == Z_STREAM_ERROR) {
            throw GzipError("zlib could not encode");
        }
        const std::size_t produced = kBlock - stream.avail_out;
        written_ += produced;
        if (produced > 0) {
            out(std::string_view(reinterpret_cast<const char*>(state_->block.get()), produced));
        }
    } while (stream.avail_out == 0);
}

void GzipEncoder::write(std::string_view input, const Output& out) {
    if (finished_ || input.empty()) {
        return;  // an empty Z_SYNC_FLUSH would only add an empty block
    }
    run(input, Z_SYNC_FLUSH, out);
}

void GzipEncoder::finish(const Output& out) {
    if (finished_) {
        return;
    }
    finished_ = true;
    run({}, Z_FINISH, out);
}

}  // namespace artifacts
