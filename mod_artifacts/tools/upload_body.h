// The body of one PUT: a local file read in blocks, optionally gzip-compressed on the fly
// (deterministically: no name, no time in the header, so a retry sends the same bytes and
// the server answers 200), with a running SHA-256 of what is sent.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "../core/codec/digest.h"

namespace artifacts::tools {

class UploadBody {
public:
    UploadBody(std::string path, bool gzip);
    ~UploadBody();
    UploadBody(const UploadBody&) = delete;
    UploadBody& operator=(const UploadBody&) = delete;

    // Fills up to `capacity` bytes; 0 at the end. Throws std::runtime_error on a read error.
    std::size_t read(char* out, std::size_t capacity);
    // Starts again from the first byte (a retry).
    void rewind();
    // The SHA-256 of everything read since the last rewind, once read() returned 0.
    std::string sha256_hex();
    std::uint64_t bytes_sent() const { return sent_; }

private:
    void open();
    std::size_t read_plain(char* out, std::size_t capacity);
    std::size_t read_compressed(char* out, std::size_t capacity);

    std::string path_;
    bool gzip_;
    std::FILE* file_ = nullptr;
    z_stream stream_{};
    bool stream_ready_ = false;
    bool input_done_ = false;
    bool output_done_ = false;
    std::string input_;
    std::unique_ptr<Sha256> sha_;
    std::uint64_t sent_ = 0;
};

// Whether --gzip compresses this file: text by its name, and not compressed already.
bool worth_compressing(const std::string& name);

// SHA-256 of a whole local file (sent ahead as X-Artifact-Sha256 for uncompressed uploads).
std::string file_sha256(const std::string& path);

}  // namespace artifacts::tools
