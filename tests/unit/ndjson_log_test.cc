// ?format=ndjson: the engine's lines as one JSON object each, with the timestamp, level and
// filters of the page, whatever the block boundaries.
#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <string>
#include <vector>

#include "../../mod_artifacts/core/htmlify/htmlify.h"
#include "gzip_helpers.h"

using namespace artifacts;
using artifacts::testing::gzip;

namespace {

struct Feed {
    std::string out;
    HtmlifyResult result = HtmlifyResult::Page;
};

Feed ndjson(std::string_view input, std::size_t step, HtmlifyOptions options = {}) {
    Feed feed;
    StringSink sink;
    Htmlifier engine(
        std::move(options), sink, [&](HtmlifyResult result, bool) { feed.result = result; }, LogFormat::Ndjson);
    for (std::size_t pos = 0; pos < input.size() && !engine.done(); pos += step) {
        engine.feed(input.substr(pos, step));
    }
    engine.finish();
    feed.out = sink.str();
    return feed;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

const std::string kLog =
    "2026-11-25 21:50:01.123 4242 INFO nova.compute [-] Starting\n"
    "plain console output\n"
    "2026-11-25 21:50:02.456 4242 ERROR nova.compute [-] Boom \"quoted\"\n"
    "Traceback (most recent call last):\n"
    "  File \"x.py\", line 1, in <module>\n"
    "2026-11-25 21:50:03.000 4242 DEBUG nova.compute [-] after\r\n";

}  // namespace

class NdjsonLogTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NdjsonLogTest);
    CPPUNIT_TEST(each_line_is_an_object_with_timestamp_level_number_and_message);
    CPPUNIT_TEST(the_output_does_not_depend_on_block_boundaries);
    CPPUNIT_TEST(text_is_escaped_and_invalid_utf8_replaced);
    CPPUNIT_TEST(the_page_filters_choose_the_lines);
    CPPUNIT_TEST(an_html_file_is_lines_too_and_gzip_is_decoded);
    CPPUNIT_TEST(an_over_long_line_stays_one_object);
    CPPUNIT_TEST_SUITE_END();

public:
    void each_line_is_an_object_with_timestamp_level_number_and_message() {
        const Feed feed = ndjson("no timestamp yet\n" + kLog, 4096);
        CPPUNIT_ASSERT(feed.result == HtmlifyResult::Ndjson);
        const std::vector<std::string> lines = lines_of(feed.out);
        CPPUNIT_ASSERT_EQUAL(std::size_t{7}, lines.size());
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"@timestamp":null,"level":null,"line":1,"message":"no timestamp yet"})"),
                             lines[0]);
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"@timestamp":"2026-11-25T21:50:01.123Z","level":"INFO","line":2,)"
                                         R"("message":"2026-11-25 21:50:01.123 4242 INFO nova.compute [-] Starting"})"),
                             lines[1]);
        // A line without a timestamp or level of its own takes those of the line before.
        CPPUNIT_ASSERT_EQUAL(std::string(R"({"@timestamp":"2026-11-25T21:50:01.123Z","level":"INFO","line":3,)"
                                         R"("message":"plain console output"})"),
                             lines[2]);
        CPPUNIT_ASSERT(lines[4].find(R"("@timestamp":"2026-11-25T21:50:02.456Z","level":"ERROR","line":5,)") !=
                       std::string::npos);
        CPPUNIT_ASSERT(lines[5].find(R"("level":"ERROR","line":6,"message":"  File \"x.py\", line 1)") !=
                       std::string::npos);
        // CRLF: the CR is the terminator's, not the message's.
        CPPUNIT_ASSERT(lines[6].find(R"("level":"DEBUG","line":7,)") != std::string::npos);
        CPPUNIT_ASSERT(lines[6].find("after\"}") != std::string::npos);
    }

    void the_output_does_not_depend_on_block_boundaries() {
        const std::string whole = ndjson(kLog, kLog.size()).out;
        for (const std::size_t step : {1, 2, 3, 7, 64}) {
            CPPUNIT_ASSERT_EQUAL(whole, ndjson(kLog, step).out);
        }
    }

    void text_is_escaped_and_invalid_utf8_replaced() {
        const Feed feed = ndjson("a\"b\\c\td\x1b[0m<e>\xff\xc3\xa9\x7f\n", 3);
        CPPUNIT_ASSERT_EQUAL(std::string("{\"@timestamp\":null,\"level\":null,\"line\":1,\"message\":"
                                         "\"a\\\"b\\\\c\\td\\u001b[0m\\u003ce>\\ufffd\xc3\xa9\\u007f\"}\n"),
                             feed.out);
    }

    void the_page_filters_choose_the_lines() {
        HtmlifyOptions errors;
        errors.min_level = Level::Error;
        std::vector<std::string> lines = lines_of(ndjson(kLog, 5, errors).out);
        // The ERROR line keeps its traceback; the DEBUG line after it goes.
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, lines.size());
        CPPUNIT_ASSERT(lines[0].find("\"line\":3,") != std::string::npos);
        CPPUNIT_ASSERT(lines[2].find("\"line\":5,") != std::string::npos);

        HtmlifyOptions grep;
        grep.grep = "nova";
        grep.limit = 2;
        lines = lines_of(ndjson(kLog, 5, grep).out);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, lines.size());
        CPPUNIT_ASSERT(lines[1].find("\"line\":3,") != std::string::npos);
    }

    void an_html_file_is_lines_too_and_gzip_is_decoded() {
        const std::string html = "<!DOCTYPE html>\n<p>x</p>\n";
        Feed feed = ndjson(gzip(html), 4);
        CPPUNIT_ASSERT(feed.result == HtmlifyResult::Ndjson);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, lines_of(feed.out).size());
        CPPUNIT_ASSERT(feed.out.find(R"("message":"\u003c!DOCTYPE html>"})") != std::string::npos);
    }

    void an_over_long_line_stays_one_object() {
        const std::string line(300 * 1024, 'x');
        const Feed feed = ndjson(line + "\nnext\n", 4096);
        const std::vector<std::string> lines = lines_of(feed.out);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, lines.size());
        CPPUNIT_ASSERT(lines[0].find(line + "\"}") != std::string::npos);
        CPPUNIT_ASSERT(lines[1].find("\"line\":2,") != std::string::npos);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NdjsonLogTest);
