#include "compressor.h"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace artifacts {

namespace {

constexpr int kLevel = 2;
constexpr std::size_t kOutputBlock = 64 * 1024;
// ISA-L's output depends on how its input was cut, not on the bytes alone; the body arrives
// cut wherever the network cut it. It is handed over in blocks of this size, so the same
// bytes compress to the same object (which is what makes a retry a retry).
constexpr std::size_t kInputBlock = 64 * 1024;

}  // namespace

struct GzipCompressor::State {
    isal_zstream stream{};
    // Zeroed: ISA-L may look at hash slots it has not written yet, and their contents must not
    // change its output.
    std::unique_ptr<std::uint8_t[]> level_buffer{new std::uint8_t[ISAL_DEF_LVL2_DEFAULT]()};
    std::unique_ptr<std::uint8_t[]> block{new std::uint8_t[kOutputBlock]};
    std::string input;  // less than kInputBlock bytes, waiting for the rest of their block
};

GzipCompressor::GzipCompressor() : state_(new State) {
    isal_zstream& stream = state_->stream;
    isal_deflate_init(&stream);
    stream.level = kLevel;
    stream.level_buf = state_->level_buffer.get();
    stream.level_buf_size = ISAL_DEF_LVL2_DEFAULT;
    // A generic gzip header: no name, no time, so the same bytes compress to the same object.
    stream.gzip_flag = IGZIP_GZIP;
}

GzipCompressor::~GzipCompressor() = default;

void GzipCompressor::run(std::string_view input, bool end, Sink& next) {
    isal_zstream& stream = state_->stream;
    stream.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<std::uint32_t>(input.size());
    stream.end_of_stream = end ? 1 : 0;
    do {
        stream.next_out = state_->block.get();
        stream.avail_out = kOutputBlock;
        if (isal_deflate(&stream) != COMP_OK) {
            throw std::runtime_error("ISA-L could not compress the body");
        }
        const std::size_t produced = kOutputBlock - stream.avail_out;
        if (produced > 0) {
            next.write(std::string_view(reinterpret_cast<const char*>(state_->block.get()), produced));
        }
    } while (stream.avail_in > 0 || stream.avail_out == 0 || (end && stream.internal_state.state != ZSTATE_END));
}

void GzipCompressor::see(std::string_view piece, Sink& next) {
    std::string& input = state_->input;
    if (!input.empty()) {
        const std::size_t taken = std::min(piece.size(), kInputBlock - input.size());
        input.append(piece.substr(0, taken));
        piece.remove_prefix(taken);
        if (input.size() < kInputBlock) {
            return;
        }
        run(input, false, next);
        input.clear();
    }
    while (piece.size() >= kInputBlock) {
        run(piece.substr(0, kInputBlock), false, next);
        piece.remove_prefix(kInputBlock);
    }
    input.assign(piece);
}

void GzipCompressor::finish(Sink& next) {
    run(state_->input, true, next);
    state_->input.clear();
}

}  // namespace artifacts
