// Streaming gzip (zlib): compressed logs are decoded block by block, never whole, and a file
// of several gzip members (as `cat a.gz b.gz` makes) decodes whole; the module's own pages
// are encoded the same way for clients that take gzip.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace artifacts {

class GzipError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// True when bytes start like a gzip member (magic and the deflate method).
bool looks_like_gzip(std::string_view bytes);

// False when the first bytes of a stream, however few, already rule gzip out: they differ
// from the magic 1f 8b as far as they go. For a body that says it is gzip.
bool may_start_gzip(std::string_view prefix);

class GzipDecoder {
public:
    using Output = std::function<void(std::string_view)>;

    GzipDecoder();
    ~GzipDecoder();
    GzipDecoder(const GzipDecoder&) = delete;
    GzipDecoder& operator=(const GzipDecoder&) = delete;

    // Decodes what input holds, handing each decoded block (at most 64 KiB) to out.
    // Throws GzipError for data that is not gzip or is damaged.
    void feed(std::string_view input, const Output& out);
    // Throws GzipError when the input ended inside a member (a truncated file).
    void finish() const;
    // Compressed bytes consumed so far.
    std::uint64_t consumed() const { return consumed_; }
    // Members begun so far.
    std::uint64_t members() const { return members_; }

private:
    struct State;
    std::unique_ptr<State> state_;
    std::uint64_t consumed_ = 0;
    std::uint64_t members_ = 0;
    bool in_member_ = false;
};

// Checks, as it arrives, that a body that says Content-Encoding: gzip is gzip and whole:
// it is inflated to nowhere, one block at a time, so a damaged or truncated stream is
// refused before it is stored rather than failing later for every client that needs it
// decoded. It must be one member, with nothing after it: several members (as `cat a.gz
// b.gz` makes) are gzip, but many clients decode only the first,
// so what was stored would not be read back whole.
class GzipVerifier {
public:
    // Throws GzipError.
    void feed(std::string_view piece);
    // Throws GzipError when the body ended inside a member, or held none.
    void finish() const;

private:
    GzipDecoder decoder_;
};

// Encodes a stream as one gzip member at a fast level, for pages and indexes: every piece
// given is flushed (Z_SYNC_FLUSH) so the client can show it at once, as the page flushes.
class GzipEncoder {
public:
    using Output = GzipDecoder::Output;

    explicit GzipEncoder(int level = 1);
    ~GzipEncoder();
    GzipEncoder(const GzipEncoder&) = delete;
    GzipEncoder& operator=(const GzipEncoder&) = delete;

    // Compresses input and hands out everything it became so far (decodable to its end).
    void write(std::string_view input, const Output& out);
    // Ends the member (the trailer with the CRC and length).
    void finish(const Output& out);
    std::uint64_t written() const { return written_; }

private:
    void run(std::string_view input, int flush, const Output& out);

    struct State;
    std::unique_ptr<State> state_;
    std::uint64_t written_ = 0;
    bool finished_ = false;
};

}  // namespace artifacts
