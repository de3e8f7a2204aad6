#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/index/index_render.h"

using namespace artifacts;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// Counts the writes the renderer makes, to show it streams in blocks.
class CountingSink final : public Sink {
public:
    void write(std::string_view bytes) override {
        ++writes;
        largest = std::max(largest, bytes.size());
        total += bytes.size();
    }
    std::size_t writes = 0;
    std::size_t largest = 0;
    std::size_t total = 0;
};

}  // namespace

class IndexRenderTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IndexRenderTest);
    CPPUNIT_TEST(human_sizes);
    CPPUNIT_TEST(times_are_utc);
    CPPUNIT_TEST(html_escapes_and_encodes_hostile_names);
    CPPUNIT_TEST(html_sort_links_toggle_the_active_column);
    CPPUNIT_TEST(html_parent_link_and_breadcrumbs);
    CPPUNIT_TEST(json_lists_every_field);
    CPPUNIT_TEST(large_pages_stream_in_blocks);
    CPPUNIT_TEST_SUITE_END();

public:
    void human_sizes() {
        CPPUNIT_ASSERT_EQUAL(std::string("0 B"), human_size(0));
        CPPUNIT_ASSERT_EQUAL(std::string("1023 B"), human_size(1023));
        CPPUNIT_ASSERT_EQUAL(std::string("1.0 KiB"), human_size(1024));
        CPPUNIT_ASSERT_EQUAL(std::string("1.5 KiB"), human_size(1536));
        CPPUNIT_ASSERT_EQUAL(std::string("12 KiB"), human_size(12 * 1024 + 100));
        CPPUNIT_ASSERT_EQUAL(std::string("3.0 MiB"), human_size(3 * 1024 * 1024));
        CPPUNIT_ASSERT_EQUAL(std::string("2.0 GiB"), human_size(2ULL << 30));
    }

    void times_are_utc() {
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-25 11:05"), format_listing_time(1795604707));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-25T11:05:07Z"), format_iso8601(1795604707));
    }

    void html_escapes_and_encodes_hostile_names() {
        const IndexEntries entries{
            {"<script>alert(1)</script>.txt", false, 10, 0},
            {"a \"quoted\" 'name'", false, 10, 0},
            {"100%.log", false, 10, 0},
            {"bad\xFFutf8", false, 10, 0},
            {"javascript:alert(1)", false, 10, 0},
        };
        StringSink sink;
        render_html_index({"/x/", true, {}, entries}, sink);
        const std::string& page = sink.str();
        CPPUNIT_ASSERT(!contains(page, "<script>"));
        CPPUNIT_ASSERT(contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;.txt</a>"));
        CPPUNIT_ASSERT(contains(page, "href=\"./%3Cscript%3Ealert%281%29%3C%2Fscript%3E.txt\""));
        CPPUNIT_ASSERT(contains(page, "a &quot;quoted&quot; &#39;name&#39;</a>"));
        CPPUNIT_ASSERT(contains(page, "href=\"./100%25.log\""));
        CPPUNIT_ASSERT(contains(page, "href=\"./bad%FFutf8\">bad\xEF\xBF\xBDutf8</a>"));
        CPPUNIT_ASSERT(contains(page, "href=\"./javascript%3Aalert%281%29\""));
    }

    void html_sort_links_toggle_the_active_column() {
        const IndexEntries entries;
        StringSink ascending;
        render_html_index({"/", false, {SortKey::Size, false}, entries}, ascending);
        CPPUNIT_ASSERT(contains(ascending.str(), "href=\"?C=S;O=D\""));
        CPPUNIT_ASSERT(contains(ascending.str(), "href=\"?C=N;O=A\""));
        CPPUNIT_ASSERT(contains(ascending.str(), "aria-sort=\"ascending\""));
        StringSink descending;
        render_html_index({"/", false, {SortKey::Size, true}, entries}, descending);
        CPPUNIT_ASSERT(contains(descending.str(), "href=\"?C=S;O=A\""));
        CPPUNIT_ASSERT(contains(descending.str(), "aria-sort=\"descending\""));
    }

    void html_parent_link_and_breadcrumbs() {
        const IndexEntries entries{{"sub", true, 0, 0}, {"f.txt", false, 2048, 0}};
        StringSink top;
        render_html_index({"/", false, {}, entries}, top);
        CPPUNIT_ASSERT(!contains(top.str(), "href=\"../\""));
        StringSink nested;
        render_html_index({"/a b/<c>/", true, {}, entries}, nested);
        const std::string& page = nested.str();
        CPPUNIT_ASSERT(contains(page, "href=\"../\""));
        CPPUNIT_ASSERT(contains(page, "<a href=\"/a%20b/\">a b</a>/<a href=\"/a%20b/%3Cc%3E/\">&lt;c&gt;</a>/"));
        CPPUNIT_ASSERT(contains(page, "<title>Index of /a b/&lt;c&gt;/</title>"));
        CPPUNIT_ASSERT(contains(page, "href=\"./sub/\">sub/</a>"));
        CPPUNIT_ASSERT(contains(page, "title=\"2048 bytes\">2.0 KiB"));
        CPPUNIT_ASSERT(contains(page, "1 directory, 1 file, 2.0 KiB"));
    }

    void json_lists_every_field() {
        const IndexEntries entries{
            {"logs", true, 0, 1795604707}, {"job-output.txt.gz", false, 42, 1795604707}, {"pseudo", true, 0, 0}};
        StringSink sink;
        render_json_index({"/x/", true, {}, entries}, sink);
        const std::string& json = sink.str();
        // A pseudo-folder of a Swift listing has no time: null, not 1970.
        CPPUNIT_ASSERT(contains(json,
                                "{\"name\":\"pseudo\",\"href\":\"pseudo/\",\"type\":\"directory\",\"size\":0,"
                                "\"mtime\":null}"));
        StringSink html;
        render_html_index({"/x/", true, {}, entries}, html);
        CPPUNIT_ASSERT(contains(html.str(), "pseudo/</a></td><td class=\"mtime\">-</td>"));
        CPPUNIT_ASSERT(!contains(html.str(), "1970"));
        CPPUNIT_ASSERT(contains(json, "{\"path\":\"/x/\",\"entries\":["));
        CPPUNIT_ASSERT(contains(json,
                                "{\"name\":\"logs\",\"href\":\"logs/\",\"type\":\"directory\",\"size\":0,"
                                "\"mtime\":\"2026-11-25T11:05:07Z\"}"));
        CPPUNIT_ASSERT(contains(json,
                                "{\"name\":\"job-output.txt.gz\",\"href\":\"job-output.txt.gz\",\"type\":\"file\","
                                "\"size\":42,\"mtime\":\"2026-11-25T11:05:07Z\",\"content_type\":\"text/plain\","
                                "\"content_encoding\":\"gzip\"}"));
        CPPUNIT_ASSERT(contains(json, "\n]}"));
    }

    void large_pages_stream_in_blocks() {
        IndexEntries entries;
        for (int i = 0; i < 10000; ++i) {
            const std::string name = "file-" + std::to_string(i) + ".txt";
            entries.push_back({std::pmr::string(name.c_str()), false, static_cast<std::uint64_t>(i), 0});
        }
        CountingSink sink;
        render_html_index({"/big/", true, {}, entries}, sink);
        CPPUNIT_ASSERT(sink.total > 10000 * 50);
        CPPUNIT_ASSERT(sink.writes > 20);
        CPPUNIT_ASSERT(sink.largest < 32 * 1024);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IndexRenderTest);
