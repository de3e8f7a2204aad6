#include <cppunit/extensions/HelperMacros.h>

#include <zlib.h>

#include <random>

#include "../../mod_artifacts/core/codec/gunzip.h"
#include "gzip_helpers.h"

using namespace artifacts;
using artifacts::testing::gzip;
using artifacts::testing::verified;

namespace {

// Decodes in blocks of `step` input bytes; records the largest decoded block.
std::string decode(std::string_view data, std::size_t step, std::size_t* largest = nullptr) {
    GzipDecoder decoder;
    std::string out;
    for (std::size_t pos = 0; pos < data.size(); pos += step) {
        decoder.feed(data.substr(pos, step), [&](std::string_view block) {
            out.append(block);
            if (largest != nullptr && block.size() > *largest) {
                *largest = block.size();
            }
        });
    }
    decoder.finish();
    return out;
}

std::string sample_text(std::size_t size) {
    std::mt19937 random(7);
    std::string text;
    while (text.size() < size) {
        text += "2026-11-25 21:50:01." + std::to_string(random() % 1000) + " 7 INFO nova [-] value " +
                std::to_string(random()) + "\n";
    }
    return text;
}

// What zlib alone makes of a gzip stream that may not have ended (no trailer yet).
std::string zlib_decode_prefix(std::string_view data) {
    z_stream stream{};
    CPPUNIT_ASSERT(inflateInit2(&stream, 16 + MAX_WBITS) == Z_OK);
    std::string out(64 * 1024 * 1024, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = inflate(&stream, Z_SYNC_FLUSH);
    CPPUNIT_ASSERT(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR);
    out.resize(stream.total_out);
    inflateEnd(&stream);
    return out;
}

}  // namespace

class GunzipTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(GunzipTest);
    CPPUNIT_TEST(decodes_in_any_block_size);
    CPPUNIT_TEST(output_blocks_are_bounded);
    CPPUNIT_TEST(concatenated_members);
    CPPUNIT_TEST(damaged_data_is_reported);
    CPPUNIT_TEST(truncated_data_is_reported);
    CPPUNIT_TEST(magic);
    CPPUNIT_TEST(verifier_accepts_only_whole_gzip);
    CPPUNIT_TEST(encoder_output_decodes_as_far_as_it_was_given);
    CPPUNIT_TEST_SUITE_END();

public:
    void decodes_in_any_block_size() {
        const std::string text = sample_text(300 * 1024);
        const std::string data = gzip(text);
        for (const std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, data.size()}) {
            CPPUNIT_ASSERT(decode(data, step) == text);
        }
        CPPUNIT_ASSERT(decode(gzip(""), 1).empty());
    }

    void output_blocks_are_bounded() {
        // 8 MiB of zeros compress to a few KiB: the decoder must still hand them on in blocks.
        const std::string zeros(8 << 20, '\0');
        std::size_t largest = 0;
        CPPUNIT_ASSERT(decode(gzip(zeros), 1 << 20, &largest) == zeros);
        CPPUNIT_ASSERT(largest <= 64 * 1024);
    }

    void concatenated_members() {
        const std::string data = gzip("first\n") + gzip("") + gzip("second\n");
        CPPUNIT_ASSERT_EQUAL(std::string("first\nsecond\n"), decode(data, 3));
    }

    void damaged_data_is_reported() {
        std::string data = gzip(sample_text(64 * 1024));
        data[data.size() / 2] ^= 0x55;
        data[data.size() / 2 + 1] ^= 0x55;
        CPPUNIT_ASSERT_THROW(decode(data, 512), GzipError);
        CPPUNIT_ASSERT_THROW(decode("\x1f\x8b\x08garbage-garbage-garbage", 4), GzipError);
    }

    void truncated_data_is_reported() {
        const std::string data = gzip(sample_text(64 * 1024));
        CPPUNIT_ASSERT_THROW(decode(data.substr(0, data.size() - 5), 1000), GzipError);
        try {
            decode(data.substr(0, 100), 1000);
            CPPUNIT_FAIL("a truncated member decoded");
        } catch (const GzipError& error) {
            CPPUNIT_ASSERT(std::string(error.what()).find("after 100 compressed bytes") != std::string::npos);
        }
    }

    void magic() {
        CPPUNIT_ASSERT(looks_like_gzip(gzip("x")));
        CPPUNIT_ASSERT(!looks_like_gzip("\x1f\x8b"));
        CPPUNIT_ASSERT(!looks_like_gzip("plain text"));
        CPPUNIT_ASSERT(may_start_gzip(""));
        CPPUNIT_ASSERT(may_start_gzip("\x1f"));
        CPPUNIT_ASSERT(may_start_gzip(gzip("x")));
        CPPUNIT_ASSERT(!may_start_gzip("\x1f\x8a"));
        CPPUNIT_ASSERT(!may_start_gzip("x"));
    }
    void encoder_output_decodes_as_far_as_it_was_given() {
        // A page is written in blocks and flushed after each: whatever the client has
        // received decodes to every block written so far, and finish() makes one whole member.
        const std::string text = sample_text(1024 * 1024);
        GzipEncoder encoder;
        std::string wire;
        const auto out = [&wire](std::string_view block) { wire.append(block); };
        for (std::size_t pos = 0; pos < text.size(); pos += 100 * 1000) {
            const std::string_view block = std::string_view(text).substr(pos, 100 * 1000);
            encoder.write(block, out);
            CPPUNIT_ASSERT(zlib_decode_prefix(wire) == text.substr(0, pos + block.size()));
        }
        encoder.write("", out);  // nothing to add: nothing added
        const std::size_t before_finish = wire.size();
        encoder.finish(out);
        CPPUNIT_ASSERT(wire.size() > before_finish);
        CPPUNIT_ASSERT(encoder.written() == wire.size());
        CPPUNIT_ASSERT(verified(wire, 4096));
        CPPUNIT_ASSERT(decode(wire, 4096) == text);
        CPPUNIT_ASSERT(wire.size() * 3 < text.size());
        GzipEncoder empty;
        std::string nothing;
        empty.finish([&nothing](std::string_view block) { nothing.append(block); });
        CPPUNIT_ASSERT(verified(nothing, 1) && decode(nothing, 1).empty());
    }

    void verifier_accepts_only_whole_gzip() {
        const std::string text = sample_text(300000);
        const std::string good = gzip(text);
        std::string corrupt = good;
        corrupt[corrupt.size() - 6] ^= 0x55;  // the CRC-32
        std::string damaged = good;
        damaged[damaged.size() / 2] ^= 0x55;  // the deflate stream
        for (const std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{8192}, good.size()}) {
            CPPUNIT_ASSERT(verified(good, step));
            CPPUNIT_ASSERT(!verified(good + gzip("second member\n"), step));
            CPPUNIT_ASSERT(!verified(good.substr(0, good.size() - 1), step));  // truncated
            CPPUNIT_ASSERT(!verified(good.substr(0, 10), step));               // the header alone
            CPPUNIT_ASSERT(!verified(corrupt, step));
            CPPUNIT_ASSERT(!verified(damaged, step));
            CPPUNIT_ASSERT(!verified(good + std::string(4, '\0'), step));  // padding after the member
            CPPUNIT_ASSERT(!verified(good + "trailing text", step));
        }
        CPPUNIT_ASSERT(!verified("", 1));
        CPPUNIT_ASSERT(!verified(text, 4096));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(GunzipTest);
