#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <random>

#include "../../mod_artifacts/core/htmlify/htmlify.h"
#include "gzip_helpers.h"

using namespace artifacts;
using artifacts::testing::gzip;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

class RecordingSink final : public Sink {
public:
    void write(std::string_view bytes) override {
        out.append(bytes);
        largest = std::max(largest, bytes.size());
        ++writes;
    }
    std::string out;
    std::size_t largest = 0;
    std::size_t writes = 0;
};

struct Run {
    std::string out;
    HtmlifyResult result = HtmlifyResult::Page;
    bool decoded_gzip = false;
    int decisions = 0;
    std::string damage;
    std::size_t largest_write = 0;
};

// Feeds input in blocks of `step` bytes, as buckets would arrive.
Run htmlify(std::string_view input, std::size_t step, HtmlifyOptions options = {}) {
    Run run;
    RecordingSink sink;
    Htmlifier engine(std::move(options), sink, [&](HtmlifyResult result, bool decoded_gzip) {
        CPPUNIT_ASSERT(sink.out.empty());
        run.result = result;
        run.decoded_gzip = decoded_gzip;
        ++run.decisions;
    });
    for (std::size_t pos = 0; pos < input.size() && !engine.done(); pos += step) {
        engine.feed(input.substr(pos, step));
    }
    engine.finish();
    run.out = sink.out;
    run.damage = engine.damage();
    run.largest_write = sink.largest;
    return run;
}

std::string sample_log(std::size_t size) {
    std::mt19937 random(11);
    static const char* const kLines[] = {
        "2026-11-25 21:50:01.%03u 4821 DEBUG nova.compute.manager [req-0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10 a b] "
        "Lock \"compute_resources\" acquired by \"update_usage\" :: waited 0.000s",
        "2026-11-25 21:50:02.%03u 4821 ERROR nova.compute.manager [-] <Instance> failed & rescheduled",
        "Traceback (most recent call last):",
        "  File \"/opt/stack/nova/nova/compute/manager.py\", line %u, in _build_and_run_instance",
        "2026-11-25 21:50:03.%03u | controller | caf\xC3\xA9 \xFF output\r",
    };
    std::string text;
    char line[512];
    while (text.size() < size) {
        const unsigned pick = random() % 5;
        std::snprintf(line, sizeof line, kLines[pick], static_cast<unsigned>(random() % 1000));
        text += line;
        text += '\n';
    }
    return text;
}

}  // namespace

class HtmlifyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(HtmlifyTest);
    CPPUNIT_TEST(output_does_not_depend_on_block_boundaries);
    CPPUNIT_TEST(gzip_input_renders_like_plain);
    CPPUNIT_TEST(html_passes_through);
    CPPUNIT_TEST(large_html_passes_through_in_blocks);
    CPPUNIT_TEST(not_quite_html_is_a_log);
    CPPUNIT_TEST(crlf_and_missing_last_newline);
    CPPUNIT_TEST(empty_and_tiny_files);
    CPPUNIT_TEST(long_lines_stay_bounded);
    CPPUNIT_TEST(output_is_written_in_blocks);
    CPPUNIT_TEST(limit_stops_reading);
    CPPUNIT_TEST(work_budget_stops_reading);
    CPPUNIT_TEST(damaged_gzip_shows_what_it_can);
    CPPUNIT_TEST_SUITE_END();

public:
    void output_does_not_depend_on_block_boundaries() {
        const std::string log = sample_log(256 * 1024);
        const Run whole = htmlify(log, log.size());
        CPPUNIT_ASSERT(whole.result == HtmlifyResult::Page);
        CPPUNIT_ASSERT_EQUAL(1, whole.decisions);
        for (const std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{97}, std::size_t{8000}}) {
            CPPUNIT_ASSERT(htmlify(log, step).out == whole.out);
        }
        const std::size_t lines = std::count(log.begin(), log.end(), '\n');
        CPPUNIT_ASSERT(contains(whole.out, " lines shown of " + std::to_string(lines) + "."));
        CPPUNIT_ASSERT(contains(whole.out, "&lt;Instance&gt; failed &amp; rescheduled"));
        // The CR of a CRLF line is not shown; invalid UTF-8 is replaced.
        CPPUNIT_ASSERT(contains(whole.out, "caf\xC3\xA9 \xEF\xBF\xBD output\n<li"));
    }

    void gzip_input_renders_like_plain() {
        const std::string log = sample_log(200 * 1024);
        const Run plain = htmlify(log, 8000);
        for (const std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{5000}}) {
            const Run decoded = htmlify(gzip(log), step);
            CPPUNIT_ASSERT(decoded.decoded_gzip);
            CPPUNIT_ASSERT(decoded.out == plain.out);
            CPPUNIT_ASSERT(decoded.damage.empty());
        }
        CPPUNIT_ASSERT(!plain.decoded_gzip);
    }

    void html_passes_through() {
        for (const std::string_view html : {std::string_view("<!DOCTYPE html>\n<html><body>x</body></html>\n"),
                                            std::string_view("\xEF\xBB\xBF  \r\n<HTML lang=en><p>y</p></HTML>"),
                                            std::string_view("<!doctype html><title>t</title>")}) {
            for (const std::size_t step : {std::size_t{1}, std::size_t{4}, html.size()}) {
                const Run run = htmlify(html, step);
                CPPUNIT_ASSERT(run.result == HtmlifyResult::Html);
                CPPUNIT_ASSERT_EQUAL(std::string(html), run.out);
            }
            const Run decoded = htmlify(gzip(html), 2);
            CPPUNIT_ASSERT(decoded.result == HtmlifyResult::Html && decoded.decoded_gzip);
            CPPUNIT_ASSERT_EQUAL(std::string(html), decoded.out);
        }
    }

    void large_html_passes_through_in_blocks() {
        std::string html = "<!DOCTYPE html>\n<html><body>";
        while (html.size() < (3u << 20)) {
            html += "<p>paragraph &amp; more</p>\n";
        }
        const Run run = htmlify(html, 1 << 20);
        CPPUNIT_ASSERT(run.result == HtmlifyResult::Html);
        CPPUNIT_ASSERT(run.out == html);
        CPPUNIT_ASSERT(run.largest_write <= Htmlifier::kOutputBlock);
    }

    void not_quite_html_is_a_log() {
        for (const std::string_view text : {std::string_view("<htm"), std::string_view("<!doctype xml>"),
                                            std::string_view("<p>html</p>"), std::string_view("\n\n")}) {
            const Run run = htmlify(text, 1);
            CPPUNIT_ASSERT(run.result == HtmlifyResult::Page);
            CPPUNIT_ASSERT(!contains(run.out.substr(run.out.find("<ol>")), "<p>"));
        }
        // White space alone, beyond what a document would start with, is a log.
        const Run spaces = htmlify(std::string(4096, ' ') + "<html>", 100);
        CPPUNIT_ASSERT(spaces.result == HtmlifyResult::Page);
    }

    void crlf_and_missing_last_newline() {
        const Run run = htmlify("one\r\ntwo\r\nthree", 1);
        CPPUNIT_ASSERT(contains(run.out, "#L1></a>one\n<li"));
        CPPUNIT_ASSERT(contains(run.out, "#L2></a>two\n<li"));
        CPPUNIT_ASSERT(contains(run.out, "#L3></a>three\n</ol>"));
        CPPUNIT_ASSERT(contains(run.out, "3 lines shown of 3"));
        CPPUNIT_ASSERT(!contains(run.out, "\r"));
    }

    void empty_and_tiny_files() {
        const Run empty = htmlify("", 1);
        CPPUNIT_ASSERT(empty.result == HtmlifyResult::Page && empty.decisions == 1);
        CPPUNIT_ASSERT(contains(empty.out, "0 lines shown of 0"));
        const Run tiny = htmlify("x", 1);
        CPPUNIT_ASSERT(contains(tiny.out, "#L1></a>x\n</ol>"));
        const Run two = htmlify("\x1f\x8b", 1);  // gzip magic cut short: shown as text
        CPPUNIT_ASSERT(!two.decoded_gzip && contains(two.out, "1 line shown of 1"));
    }

    void long_lines_stay_bounded() {
        // 5 MiB without a newline, with a 2-byte character straddling every piece boundary.
        std::string line = "2026-11-25 21:50:01.000 7 ERROR x [-] ";
        while (line.size() < (5u << 20)) {
            line += "\xC3\xA9<";
        }
        const std::string log = line + "\nafter\n";
        const Run run = htmlify(log, 1 << 20);
        CPPUNIT_ASSERT(contains(run.out, "<li class=E id=L1>"));
        CPPUNIT_ASSERT(contains(run.out, "#L2></a>after\n</ol>"));
        CPPUNIT_ASSERT(!contains(run.out, "\xEF\xBF\xBD"));  // no character was cut
        CPPUNIT_ASSERT(run.largest_write <= Htmlifier::kOutputBlock + 8 * Htmlifier::kMaxPiece);
        // Filtered out: none of its pieces is shown.
        HtmlifyOptions options;
        options.min_level = Level::Critical;
        const Run filtered = htmlify(log, 1 << 20, options);
        CPPUNIT_ASSERT(!contains(filtered.out, "&lt;\xC3\xA9"));
    }

    void output_is_written_in_blocks() {
        const std::string log = sample_log(2 << 20);
        RecordingSink sink;
        Htmlifier engine({}, sink, [](HtmlifyResult, bool) {});
        engine.feed(log);
        CPPUNIT_ASSERT(sink.writes > 10);  // output was handed on while the input was read
        engine.flush();
        const std::size_t before = sink.out.size();
        engine.finish();
        CPPUNIT_ASSERT(sink.out.size() > before);
        CPPUNIT_ASSERT(sink.largest <= Htmlifier::kOutputBlock + 4096);
    }

    void limit_stops_reading() {
        HtmlifyOptions options;
        options.limit = 5;
        RecordingSink sink;
        Htmlifier engine(options, sink, [](HtmlifyResult, bool) {});
        const std::string log = sample_log(64 * 1024);
        engine.feed(log.substr(0, 4096));
        CPPUNIT_ASSERT(engine.done());
        engine.feed(log.substr(4096));
        engine.finish();
        CPPUNIT_ASSERT(contains(sink.out, "5 lines shown of 5 read: stopped at the limit of 5 lines"));
    }

    void work_budget_stops_reading() {
        HtmlifyOptions options;
        options.grep = "matches nothing";
        options.max_bytes = 10000;
        RecordingSink sink;
        Htmlifier engine(options, sink, [](HtmlifyResult, bool) {});
        const std::string log = sample_log(64 * 1024);
        for (std::size_t at = 0; at < log.size() && !engine.done(); at += 777) {
            engine.feed(log.substr(at, 777));
        }
        CPPUNIT_ASSERT(engine.done() && engine.over_budget());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{10000}, engine.log_bytes());
        engine.finish();
        CPPUNIT_ASSERT(contains(sink.out, "the page stops after 10000 bytes of the log (ArtifactsHtmlifyMaxBytes)"));
        CPPUNIT_ASSERT(contains(sink.out, "</html>"));
    }

    void damaged_gzip_shows_what_it_can() {
        const std::string log = sample_log(512 * 1024);
        std::string data = gzip(log);
        data.resize(data.size() / 2);
        const Run run = htmlify(data, 4096);
        CPPUNIT_ASSERT(contains(run.damage, "gzip data ends early"));
        CPPUNIT_ASSERT(contains(run.out, "</ol><p class=m>mod_artifacts: the gzip data ends early"));
        CPPUNIT_ASSERT(contains(run.out, "</html>"));
        CPPUNIT_ASSERT(contains(run.out, " id=L100>"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HtmlifyTest);
