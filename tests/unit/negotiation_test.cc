#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/http/negotiation.h"

using namespace artifacts;

class NegotiationTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(NegotiationTest);
    CPPUNIT_TEST(gzip_accepted);
    CPPUNIT_TEST(gzip_refused);
    CPPUNIT_TEST(json_preference);
    CPPUNIT_TEST(query_parameters);
    CPPUNIT_TEST(html_wanted);
    CPPUNIT_TEST(form_values);
    CPPUNIT_TEST_SUITE_END();

public:
    void gzip_accepted() {
        CPPUNIT_ASSERT(accepts_gzip("gzip"));
        CPPUNIT_ASSERT(accepts_gzip("gzip, deflate, br"));
        CPPUNIT_ASSERT(accepts_gzip("deflate;q=1.0, GZIP;q=0.5"));
        CPPUNIT_ASSERT(accepts_gzip("x-gzip"));
        CPPUNIT_ASSERT(accepts_gzip("*"));
    }

    void gzip_refused() {
        CPPUNIT_ASSERT(!accepts_gzip(""));
        CPPUNIT_ASSERT(!accepts_gzip("identity"));
        CPPUNIT_ASSERT(!accepts_gzip("gzip;q=0"));
        CPPUNIT_ASSERT(!accepts_gzip("*, gzip;q=0"));
        CPPUNIT_ASSERT(!accepts_gzip("*;q=0"));
        CPPUNIT_ASSERT(!accepts_gzip("gzipper"));
    }

    void json_preference() {
        CPPUNIT_ASSERT(prefers_json("application/json"));
        CPPUNIT_ASSERT(prefers_json("application/json, text/html;q=0.5"));
        CPPUNIT_ASSERT(!prefers_json("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        CPPUNIT_ASSERT(!prefers_json("*/*"));
        CPPUNIT_ASSERT(!prefers_json("application/json;q=0.5, text/html"));
        CPPUNIT_ASSERT(!prefers_json("application/json;q=0"));
    }

    void query_parameters() {
        CPPUNIT_ASSERT(query_parameter("C=M;O=D", "O") == std::optional<std::string_view>("D"));
        CPPUNIT_ASSERT(query_parameter("format=json&C=S", "C") == std::optional<std::string_view>("S"));
        CPPUNIT_ASSERT(query_parameter("raw", "raw") == std::optional<std::string_view>(""));
        CPPUNIT_ASSERT(!query_parameter("Cx=N", "C"));
        CPPUNIT_ASSERT(!query_parameter("", "C"));
    }

    void html_wanted() {
        CPPUNIT_ASSERT(accepts_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        CPPUNIT_ASSERT(accepts_html("application/xhtml+xml"));
        CPPUNIT_ASSERT(accepts_html("TEXT/HTML;q=0.1"));
        CPPUNIT_ASSERT(!accepts_html("*/*"));
        CPPUNIT_ASSERT(!accepts_html(""));
        CPPUNIT_ASSERT(!accepts_html("text/*"));
        CPPUNIT_ASSERT(!accepts_html("text/html;q=0, */*"));
        CPPUNIT_ASSERT(!accepts_html("application/json"));
    }

    void form_values() {
        CPPUNIT_ASSERT_EQUAL(std::string("a b/c"), form_decode("a+b%2Fc"));
        CPPUNIT_ASSERT_EQUAL(std::string("100%"), form_decode("100%"));
        CPPUNIT_ASSERT_EQUAL(std::string("%zz"), form_decode("%zz"));
        CPPUNIT_ASSERT_EQUAL(std::string("<x>"), form_decode("%3cx%3E"));
        CPPUNIT_ASSERT_EQUAL(std::string("a\0b", 3), form_decode("a%00b"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(NegotiationTest);
