#include <cppunit/extensions/HelperMacros.h>

#include <random>

#include "../../mod_artifacts/core/gunzip.h"
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
