#include <cppunit/extensions/HelperMacros.h>

#include <vector>

#include "../../mod_artifacts/core/htmlify/log_page.h"

using namespace artifacts;

namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string render(const HtmlifyOptions& options, const std::vector<std::string_view>& lines) {
    PageBuffer out;
    LogPage page(options, out);
    page.begin();
    for (const auto line : lines) {
        page.line(line);
    }
    page.end();
    return std::string(out.view());
}

// The line numbers shown, in order (the ids "L<n>" of the line blocks).
std::vector<int> shown_lines(const std::string& page) {
    std::vector<int> numbers;
    constexpr std::string_view kId = " id=L";
    for (std::size_t pos = page.find(kId); pos != std::string::npos; pos = page.find(kId, pos + 1)) {
        numbers.push_back(std::stoi(page.substr(pos + kId.size())));
    }
    return numbers;
}

const std::vector<std::string_view> kFailedBuild = {
    "2026-11-25 21:50:01.100 7 DEBUG nova.compute.manager [-] Starting build",        // 1
    "2026-11-25 21:50:01.200 7 INFO nova.compute.manager [-] Claim successful",       // 2
    "2026-11-25 21:50:01.300 7 ERROR nova.compute.manager [-] Build failed",          // 3
    "Traceback (most recent call last):",                                             // 4
    "  File \"/opt/stack/nova/nova/compute/manager.py\", line 2461, in _build",       // 5
    "nova.exception.BuildAbortException: Build of instance aborted",                  // 6
    "2026-11-25 21:50:01.400 7 DEBUG nova.compute.manager [-] Cleaning up",           // 7
    "    continued debug detail",                                                     // 8
    "2026-11-25 21:50:01.500 7 TRACE nova.compute.manager Unrelated trace",           // 9
    "2026-11-25 21:50:01.600 7 WARNING nova.virt.libvirt.driver [-] Slow disk",       // 10
    "2026-11-25 21:50:01.600 7 TRACE nova.virt.libvirt.driver   File \"driver.py\"",  // 11
};

}  // namespace

class LogPageTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogPageTest);
    CPPUNIT_TEST(every_line_has_a_number_anchor);
    CPPUNIT_TEST(levels_are_inherited_by_continuations);
    CPPUNIT_TEST(timestamp_anchor_belongs_to_the_first_line);
    CPPUNIT_TEST(level_filter_keeps_tracebacks_whole);
    CPPUNIT_TEST(debug_filter_keeps_everything);
    CPPUNIT_TEST(grep_keeps_matching_lines);
    CPPUNIT_TEST(limit_stops_output);
    CPPUNIT_TEST(request_ids_become_grep_links);
    CPPUNIT_TEST(hostile_text_is_inert);
    CPPUNIT_TEST(invalid_utf8_and_controls);
    CPPUNIT_TEST(bar_reflects_the_query);
    CPPUNIT_TEST(query_options);
    CPPUNIT_TEST(pieces_of_a_long_line);
    CPPUNIT_TEST_SUITE_END();

public:
    void every_line_has_a_number_anchor() {
        const std::string page = render({}, {"first", "", "third"});
        // An item a line: its number is the list's counter, shown by the empty link to it.
        CPPUNIT_ASSERT(contains(page, "<ol><li id=L1><a href=#L1></a>first\n<li id=L2><a href=#L2></a>\n<li id=L3>"));
        CPPUNIT_ASSERT(contains(page, "third\n</ol>"));
        CPPUNIT_ASSERT(contains(page, "3 lines shown of 3"));
        CPPUNIT_ASSERT(contains(page, "<!DOCTYPE html>"));
        CPPUNIT_ASSERT(contains(page, "<meta name=\"viewport\""));
        CPPUNIT_ASSERT(page.size() > 0 && contains(page, "</html>"));
    }

    void levels_are_inherited_by_continuations() {
        const std::string page = render({}, kFailedBuild);
        CPPUNIT_ASSERT(contains(page, "<li class=D id=L1>"));
        CPPUNIT_ASSERT(contains(page, "<li class=E id=L3>"));
        CPPUNIT_ASSERT(contains(page, "<li class=E id=L4>"));
        CPPUNIT_ASSERT(contains(page, "<li class=E id=L6>"));
        CPPUNIT_ASSERT(contains(page, "<li class=D id=L8>"));
        CPPUNIT_ASSERT(contains(page, "<li class=T id=L9>"));
        CPPUNIT_ASSERT(contains(page, "<li class=W id=L10>"));
    }

    void timestamp_anchor_belongs_to_the_first_line() {
        const std::string page = render({}, kFailedBuild);
        CPPUNIT_ASSERT(contains(page,
                                "<a id=_2026-11-25_21_50_01_600 "
                                "href=#_2026-11-25_21_50_01_600>2026-11-25 21:50:01.600</a> 7 WARNING"));
        // The second line of the same millisecond shows its timestamp without an anchor.
        CPPUNIT_ASSERT(contains(page, "#L11></a>2026-11-25 21:50:01.600 7 TRACE"));
        // An earlier timestamp after a later one gets no anchor: ids stay unique.
        const std::string back = render({}, {"2026-01-01 00:00:02.000 1 INFO a", "2026-01-01 00:00:01.000 1 INFO b"});
        CPPUNIT_ASSERT(contains(back, "id=_2026-01-01_00_00_02_000 "));
        CPPUNIT_ASSERT(!contains(back, "id=_2026-01-01_00_00_01_000"));
    }

    void level_filter_keeps_tracebacks_whole() {
        HtmlifyOptions options;
        options.min_level = Level::Warning;
        CPPUNIT_ASSERT(shown_lines(render(options, kFailedBuild)) == (std::vector<int>{3, 4, 5, 6, 10, 11}));
        options.min_level = Level::Trace;
        CPPUNIT_ASSERT(shown_lines(render(options, kFailedBuild)) == (std::vector<int>{3, 4, 5, 6, 9, 10, 11}));
        options.min_level = Level::Critical;
        const std::string none = render(options, kFailedBuild);
        CPPUNIT_ASSERT(shown_lines(none).empty());
        CPPUNIT_ASSERT(contains(none, "0 lines shown of 11: no line matched"));
    }

    void debug_filter_keeps_everything() {
        HtmlifyOptions options;
        options.min_level = Level::Debug;
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, shown_lines(render(options, {"console", "output", "only"})).size());
        options.min_level = Level::Info;
        CPPUNIT_ASSERT(shown_lines(render(options, {"console", "output", "only"})).empty());
    }

    void grep_keeps_matching_lines() {
        HtmlifyOptions options;
        options.grep = "libvirt";
        CPPUNIT_ASSERT(shown_lines(render(options, kFailedBuild)) == (std::vector<int>{10, 11}));
        options.grep = "Libvirt";  // case matters
        CPPUNIT_ASSERT(shown_lines(render(options, kFailedBuild)).empty());
        options.grep = ".*";  // plain text, not a regex
        CPPUNIT_ASSERT(shown_lines(render(options, kFailedBuild)).empty());
        options.grep = "nova";
        options.min_level = Level::Error;
        CPPUNIT_ASSERT(shown_lines(render(options, kFailedBuild)) == (std::vector<int>{3, 5, 6}));
    }

    void limit_stops_output() {
        HtmlifyOptions options;
        options.limit = 2;
        options.min_level = Level::Info;
        PageBuffer buffer;
        LogPage page(options, buffer);
        page.begin();
        for (const auto line : kFailedBuild) {
            page.line(line);
        }
        CPPUNIT_ASSERT(page.limit_reached());
        page.end();
        const std::string out(buffer.view());
        CPPUNIT_ASSERT(shown_lines(out) == (std::vector<int>{2, 3}));
        CPPUNIT_ASSERT(contains(out, "stopped at the limit of 2 lines"));
    }

    void request_ids_become_grep_links() {
        const std::string page =
            render({}, {"2026-11-25 21:50:01.100 7 INFO nova [req-0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10 a b] req-x"});
        CPPUNIT_ASSERT(contains(page,
                                "[<a href=?grep=0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10>"
                                "req-0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10</a> a b] req-x\n"));
    }

    void hostile_text_is_inert() {
        const std::string page =
            render({}, {"<script>alert(1)</script>", "</pre><img src=x onerror=alert(1)>",
                        "\"'><a href=\"javascript:alert(1)\">x</a>&amp;", "[req-javascript:alert(document.cookie)]"});
        CPPUNIT_ASSERT(!contains(page, "<script"));
        CPPUNIT_ASSERT(!contains(page, "<img"));
        CPPUNIT_ASSERT(!contains(page, "<a href=\"javascript"));
        CPPUNIT_ASSERT(contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
        CPPUNIT_ASSERT(contains(page, "&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;"));
        CPPUNIT_ASSERT(contains(page, "&amp;amp;"));
        CPPUNIT_ASSERT(contains(page, "[req-javascript:alert(document.cookie)]"));
    }

    void invalid_utf8_and_controls() {
        const std::string page = render({}, {std::string_view("caf\xC3\xA9 \xFF\xC3 \x1B[31mred\x7F\x00.", 20)});
        CPPUNIT_ASSERT(
            contains(page, "caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD \xE2\x90\x9B[31mred\xE2\x90\xA1\xE2\x90\x80."));
        CPPUNIT_ASSERT(contains(render({}, {"a\tb"}), "a\tb"));
    }

    void bar_reflects_the_query() {
        HtmlifyOptions options;
        options.title = "logs/<job>/job-output.txt";
        options.min_level = Level::Error;
        options.grep = "a b&\"";
        const std::string page = render(options, {});
        CPPUNIT_ASSERT(contains(page, "<title>logs/&lt;job&gt;/job-output.txt</title>"));
        CPPUNIT_ASSERT(contains(page, "<a href=\"?level=ERROR&amp;grep=a%20b%26%22\" class=\"E on\">ERROR</a>"));
        CPPUNIT_ASSERT(contains(page, "<input type=\"hidden\" name=\"level\" value=\"ERROR\">"));
        CPPUNIT_ASSERT(contains(page, "value=\"a b&amp;&quot;\""));
        CPPUNIT_ASSERT(contains(page, "<a href=\"?raw\">raw</a>"));
        CPPUNIT_ASSERT(contains(page, "0 lines shown of 0."));
    }

    void query_options() {
        HtmlifyOptions options = htmlify_options_from_query("level=warning&grep=req-1+failed%21&limit=20");
        CPPUNIT_ASSERT(options.min_level == Level::Warning);
        CPPUNIT_ASSERT_EQUAL(std::string("req-1 failed!"), options.grep);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{20}, options.limit);
        CPPUNIT_ASSERT(options.notice.empty());
        options = htmlify_options_from_query("level=LOUD&limit=-3");
        CPPUNIT_ASSERT(!options.min_level);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, options.limit);
        CPPUNIT_ASSERT(contains(options.notice, "unknown level 'LOUD'"));
        CPPUNIT_ASSERT(contains(options.notice, "limit must be a positive number"));
        CPPUNIT_ASSERT(htmlify_options_from_query("limit=0").limit == 0);
        CPPUNIT_ASSERT(!htmlify_options_from_query("").min_level);
    }

    void pieces_of_a_long_line() {
        PageBuffer buffer;
        HtmlifyOptions options;
        options.min_level = Level::Error;
        LogPage page(options, buffer);
        page.begin();
        page.open_line("2026-11-25 21:50:01.300 7 ERROR x [-] <first>");
        page.continue_line("<second>");
        page.close_line();
        page.open_line("2026-11-25 21:50:01.300 7 INFO x [-] dropped");
        page.continue_line("<never>");
        page.close_line();
        page.end();
        const std::string out(buffer.view());
        CPPUNIT_ASSERT(contains(out, "&lt;first&gt;&lt;second&gt;\n</ol>"));
        // A CR where a piece ends is inside the line, not its terminator: it is shown.
        PageBuffer with_cr;
        const HtmlifyOptions no_filter;
        LogPage cr_page(no_filter, with_cr);
        cr_page.open_line("a\r");
        cr_page.continue_line("b");
        cr_page.close_line();
        CPPUNIT_ASSERT(contains(std::string(with_cr.view()),
                                "a\xE2\x90\x8D"
                                "b\n"));
        CPPUNIT_ASSERT(!contains(out, "never"));
        CPPUNIT_ASSERT(shown_lines(out) == (std::vector<int>{1}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogPageTest);
