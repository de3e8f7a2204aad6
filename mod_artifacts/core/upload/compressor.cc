#include "compressor.h"

namespace artifacts {

void GzipCompressor::see(std::string_view piece, Sink& next) {
    encoder_.write(piece, [&next](std::string_view out) { next.write(out); });
}

void GzipCompressor::finish(Sink& next) {
    encoder_.finish([&next](std::string_view out) { next.write(out); });
}

}  // namespace artifacts
