#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/codec/escape.h"

using namespace artifacts;

namespace {
std::string html(std::string_view text) {
    std::string out;
    append_html_escaped(out, text);
    return out;
}
std::string segment(std::string_view text) {
    std::string out;
    append_url_encoded_segment(out, text);
    return out;
}
std::string json(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}
}  // namespace

class EscapeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EscapeTest);
    CPPUNIT_TEST(html_escapes_markup_and_quotes);
    CPPUNIT_TEST(html_replaces_invalid_utf8_and_controls);
    CPPUNIT_TEST(html_shows_bidi_controls);
    CPPUNIT_TEST(url_segment_encodes_everything_but_unreserved);
    CPPUNIT_TEST(url_path_keeps_slashes);
    CPPUNIT_TEST(json_escapes_and_stays_valid_utf8);
    CPPUNIT_TEST(percent_escapes_are_read);
    CPPUNIT_TEST_SUITE_END();

public:
    void html_escapes_markup_and_quotes() {
        CPPUNIT_ASSERT_EQUAL(std::string("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
                             html("<script>alert('x')</script>"));
        CPPUNIT_ASSERT_EQUAL(std::string("a &amp; &quot;b&quot;"), html("a & \"b\""));
        CPPUNIT_ASSERT_EQUAL(std::string("caf\xC3\xA9"), html("caf\xC3\xA9"));
    }

    void html_shows_bidi_controls() {
        std::string out;
        append_html_escaped(out, "invoice\xE2\x80\xAEtxt.exe \xE2\x81\xA6x\xE2\x81\xA9 \xD8\x9C caf\xC3\xA9");
        CPPUNIT_ASSERT_EQUAL(std::string("invoice[U+202E]txt.exe [U+2066]x[U+2069] [U+061C] caf\xC3\xA9"), out);
    }

    void html_replaces_invalid_utf8_and_controls() {
        CPPUNIT_ASSERT_EQUAL(std::string("a\xEF\xBF\xBD"
                                         "b"),
                             html("a\xFF"
                                  "b"));
        CPPUNIT_ASSERT_EQUAL(std::string("\xEF\xBF\xBD\xEF\xBF\xBD"), html("\xC0\xAE"));
        CPPUNIT_ASSERT_EQUAL(std::string("x\xEF\xBF\xBDy"), html("x\x1By"));
        CPPUNIT_ASSERT_EQUAL(std::string("tab\there"), html("tab\there"));
    }

    void url_segment_encodes_everything_but_unreserved() {
        CPPUNIT_ASSERT_EQUAL(std::string("a-b_c.d~e"), segment("a-b_c.d~e"));
        CPPUNIT_ASSERT_EQUAL(std::string("a%20b%25c%3F%23%2F"), segment("a b%c?#/"));
        CPPUNIT_ASSERT_EQUAL(std::string("javascript%3Aalert%281%29"), segment("javascript:alert(1)"));
        CPPUNIT_ASSERT_EQUAL(std::string("%22%3E%3C"), segment("\"><"));
        CPPUNIT_ASSERT_EQUAL(std::string("%C3%A9%FF"), segment("\xC3\xA9\xFF"));
    }

    void url_path_keeps_slashes() {
        std::string out;
        append_url_encoded_path(out, "/logs/a b/c/");
        CPPUNIT_ASSERT_EQUAL(std::string("/logs/a%20b/c/"), out);
    }

    void json_escapes_and_stays_valid_utf8() {
        CPPUNIT_ASSERT_EQUAL(std::string("\"a\\\"b\\\\c\\n\""), json("a\"b\\c\n"));
        CPPUNIT_ASSERT_EQUAL(std::string("\"\\u0001\\u003c/script>\""), json("\x01</script>"));
        CPPUNIT_ASSERT_EQUAL(std::string("\"x\\ufffdy\""), json("x\xFEy"));
        CPPUNIT_ASSERT_EQUAL(std::string("\"\xE2\x82\xAC\""), json("\xE2\x82\xAC"));
    }

    void percent_escapes_are_read() {
        CPPUNIT_ASSERT_EQUAL(0x2F, percent_escape_at("a%2fb", 1));
        CPPUNIT_ASSERT_EQUAL(0xFF, percent_escape_at("%FF", 0));
        CPPUNIT_ASSERT_EQUAL(0, percent_escape_at("%00", 0));
        CPPUNIT_ASSERT_EQUAL(-1, percent_escape_at("%2", 0));
        CPPUNIT_ASSERT_EQUAL(-1, percent_escape_at("%g0", 0));
        CPPUNIT_ASSERT_EQUAL(-1, percent_escape_at("a%20", 0));
        CPPUNIT_ASSERT_EQUAL(-1, percent_escape_at("%", 0));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EscapeTest);
