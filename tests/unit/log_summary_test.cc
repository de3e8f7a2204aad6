// A log's summary: counted by the engine as the bytes arrive (gzip decoded, HTML not
// counted), kept in its stored form, and shown as badges and JSON by the index.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "../../mod_artifacts/core/index/index_render.h"
#include "../../mod_artifacts/core/store/log_summary.h"
#include "../../mod_artifacts/core/upload/log_summarizer.h"
#include "gzip_helpers.h"

using namespace artifacts;

namespace {

const std::string kLog =
    "2026-11-25 21:50:01.123 4242 INFO nova.compute [-] Starting\n"
    "2026-11-25 21:50:01.200 4242 WARNING nova.compute [-] Careful\n"
    "2026-11-25 21:50:02.456 4242 ERROR nova.compute [-] Boom\n"
    "Traceback (most recent call last):\n"
    "2026-11-25 21:50:02.500 4242 CRITICAL nova [-] Dead\n"
    "2026-11-25 21:50:03.000 4242 ERROR nova.compute [-] Again\n"
    "no newline at the end";

// Feeds `bytes` through a summarizer in pieces of `step`; its note.
std::optional<LogSummary> summarise(const std::string& bytes, std::size_t step) {
    class Null final : public Sink {
    public:
        void write(std::string_view) override {}
    } next;
    LogSummarizer summarizer;
    for (std::size_t pos = 0; pos < bytes.size(); pos += step) {
        summarizer.see(std::string_view(bytes).substr(pos, step), next);
    }
    summarizer.finish(next);
    ObjectNotes notes;
    summarizer.annotate(notes);
    return notes.summary;
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

class LogSummaryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogSummaryTest);
    CPPUNIT_TEST(lines_are_counted_by_their_own_level_whatever_the_pieces);
    CPPUNIT_TEST(a_gzip_body_is_decoded_and_html_is_not_a_log);
    CPPUNIT_TEST(the_stored_form_reads_back_and_refuses_what_it_did_not_write);
    CPPUNIT_TEST(the_index_shows_badges_that_link_to_the_level);
    CPPUNIT_TEST_SUITE_END();

public:
    void lines_are_counted_by_their_own_level_whatever_the_pieces() {
        const auto whole = summarise(kLog, kLog.size());
        CPPUNIT_ASSERT(whole);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{7}, whole->lines);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, whole->count("INFO"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, whole->count("WARNING"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, whole->count("ERROR"));  // not the traceback's line
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, whole->count("CRITICAL"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, whole->first_error);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, whole->first_critical);
        for (const std::size_t step : {1, 3, 17}) {
            CPPUNIT_ASSERT(summarise(kLog, step) == whole);
        }
        const auto empty = summarise("", 1);
        CPPUNIT_ASSERT(empty && empty->lines == 0 && empty->first_error == 0);
    }

    void a_gzip_body_is_decoded_and_html_is_not_a_log() {
        CPPUNIT_ASSERT(summarise(testing::gzip(kLog), 5) == summarise(kLog, 4096));
        CPPUNIT_ASSERT(!summarise("<!DOCTYPE html>\n<p>ERROR: not a log line</p>\n", 8));
    }

    void the_stored_form_reads_back_and_refuses_what_it_did_not_write() {
        const LogSummary summary = *summarise(kLog, 64);
        const std::string stored = format_log_summary(summary);
        CPPUNIT_ASSERT_EQUAL(std::string("lines=7 INFO=1 WARNING=1 ERROR=2 CRITICAL=1 first_error=3 first_critical=5"),
                             stored);
        CPPUNIT_ASSERT(parse_log_summary(stored) == summary);
        CPPUNIT_ASSERT(!parse_log_summary(""));
        CPPUNIT_ASSERT(!parse_log_summary("ERROR=2"));  // no line count
        CPPUNIT_ASSERT(!parse_log_summary("lines=7 LOUD=1"));
        CPPUNIT_ASSERT(!parse_log_summary("lines=-1"));
        CPPUNIT_ASSERT(!parse_log_summary(std::string("lines=7\0", 8)));
        std::string json;
        append_log_summary_json(json, summary);
        CPPUNIT_ASSERT_EQUAL(
            std::string("{\"lines\":7,\"levels\":{\"INFO\":1,\"WARNING\":1,\"ERROR\":2,\"CRITICAL\":1},"
                        "\"first_error\":3,\"first_critical\":5}"),
            json);
    }

    void the_index_shows_badges_that_link_to_the_level() {
        IndexEntries entries{{"job output.txt", false, 10, 0, false, summarise(kLog, 64)},
                             {"clean.txt", false, 10, 0, false, summarise("INFO: fine\n", 64)},
                             {"other.bin", false, 10, 0, false, std::nullopt}};
        StringSink html;
        render_html_index({"/x/", true, {}, entries}, html);
        CPPUNIT_ASSERT(contains(html.str(), "<a class=\"lv C\" href=\"./job%20output.txt?level=CRITICAL#L5\""));
        CPPUNIT_ASSERT(contains(html.str(),
                                "<a class=\"lv E\" href=\"./job%20output.txt?level=ERROR#L3\" "
                                "title=\"2 ERROR lines, the first at line 3\">2 ERROR</a>"));
        CPPUNIT_ASSERT(contains(html.str(), ">1 WARNING</a>"));
        CPPUNIT_ASSERT(!contains(html.str(), "clean.txt?level"));
        StringSink json;
        render_json_index({"/x/", true, {}, entries}, json);
        CPPUNIT_ASSERT(contains(json.str(), "\"summary\":{\"lines\":7,"));
        CPPUNIT_ASSERT(contains(json.str(), "\"summary\":{\"lines\":1,\"levels\":{\"INFO\":1},\"first_error\":null"));
        std::size_t summaries = 0;
        for (std::size_t at = json.str().find("\"summary\""); at != std::string::npos;
             at = json.str().find("\"summary\"", at + 1)) {
            ++summaries;
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, summaries);  // none for the file without one
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogSummaryTest);
