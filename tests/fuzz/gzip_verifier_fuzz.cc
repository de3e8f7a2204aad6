// The gzip-body verifier on arbitrary bytes: its verdict does not depend on how the body is
// cut into pieces, and what it accepts is one gzip member that zlib decodes whole on its own.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../../mod_artifacts/core/codec/gunzip.h"
#include "../unit/gzip_helpers.h"

using namespace artifacts;
using artifacts::testing::verified;

namespace {

// zlib alone, all of the input in one call: exactly one member and nothing after it.
bool zlib_decodes_whole(std::string_view data) {
    if (data.empty()) {
        return false;
    }
    {
        z_stream stream{};
        if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
            std::abort();
        }
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        stream.avail_in = static_cast<uInt>(data.size());
        unsigned char out[65536];
        int status = Z_OK;
        while (status == Z_OK) {
            stream.next_out = out;
            stream.avail_out = sizeof out;
            status = inflate(&stream, Z_NO_FLUSH);
            if (status == Z_BUF_ERROR && stream.avail_out != 0) {
                break;
            }
            if (status == Z_BUF_ERROR) {
                status = Z_OK;
            }
        }
        const std::size_t used = data.size() - stream.avail_in;
        inflateEnd(&stream);
        if (status != Z_STREAM_END) {
            return false;
        }
        data.remove_prefix(used);
    }
    return data.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const bool whole = verified(body, body.size() + 1);
    const std::size_t step = size == 0 ? 1 : 1 + data[0] % 97;
    if (verified(body, step) != whole || verified(body, 1) != whole) {
        std::abort();
    }
    if (whole != zlib_decodes_whole(body)) {
        std::abort();
    }
    return 0;
}
