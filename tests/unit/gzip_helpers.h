// Makes gzip data for the unit and fuzz tests (zlib), independently of the decoder under test, and asks GzipVerifier.
#pragma once

#include <zlib.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "../../mod_artifacts/core/codec/gunzip.h"

namespace artifacts::testing {

inline std::string gzip(std::string_view text) {
    z_stream stream{};
    if (deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2");
    }
    std::string out(deflateBound(&stream, text.size()), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    stream.avail_in = static_cast<uInt>(text.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (status != Z_STREAM_END) {
        throw std::runtime_error("deflate");
    }
    return out;
}

// Whether GzipVerifier takes `data` fed in pieces of `step` bytes.
inline bool verified(std::string_view data, std::size_t step) {
    GzipVerifier verifier;
    try {
        for (std::size_t pos = 0; pos < data.size(); pos += step) {
            verifier.feed(data.substr(pos, step));
        }
        verifier.finish();
        return true;
    } catch (const GzipError&) {
        return false;
    }
}

}  // namespace artifacts::testing
