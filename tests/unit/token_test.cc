#include <cppunit/extensions/HelperMacros.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../../mod_artifacts/core/codec/base64url.h"
#include "../../mod_artifacts/core/token/cidr.h"
#include "../../mod_artifacts/core/token/token.h"
#include "../../mod_artifacts/core/codec/units.h"

using namespace artifacts;

class TokenTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(TokenTest);
    CPPUNIT_TEST(shared_vectors_get_their_verdict);
    CPPUNIT_TEST(minted_token_round_trips);
    CPPUNIT_TEST(base64url_is_strict);
    CPPUNIT_TEST(cidr_ranges_match_clients);
    CPPUNIT_TEST(sizes_and_durations_parse);
    CPPUNIT_TEST(redaction_drops_the_signature);
    CPPUNIT_TEST(every_token_in_a_query_is_redacted);
    CPPUNIT_TEST(upload_token_is_the_first_non_empty_one);
    CPPUNIT_TEST_SUITE_END();

public:
    void shared_vectors_get_their_verdict() {
        std::ifstream in(TEST_VECTORS_DIR "/tokens.json");
        CPPUNIT_ASSERT_MESSAGE("tests/vectors/tokens.json is readable", in.good());
        const auto file = nlohmann::json::parse(in);
        KeyRing keys;
        for (const auto& [kid, secret] : file["keys"].items()) {
            keys[kid] = secret.get<std::string>();
        }
        VerifyOptions options;
        options.now = file["now"].get<std::int64_t>();
        options.leeway = file["leeway"].get<std::int64_t>();
        options.max_lifetime = file["max_lifetime"].get<std::int64_t>();
        std::size_t checked = 0;
        for (const auto& vector : file["vectors"]) {
            const TokenCheck check = verify_token(vector["token"].get<std::string>(), keys, options);
            const std::string name = vector["name"].get<std::string>();
            CPPUNIT_ASSERT_EQUAL_MESSAGE(name, vector["expect"].get<std::string>(),
                                         std::string(problem_code(check.problem)));
            CPPUNIT_ASSERT_MESSAGE(name + ": a reason is given", check || !check.reason.empty());
            ++checked;
        }
        CPPUNIT_ASSERT(checked >= 50);
    }

    void minted_token_round_trips() {
        TokenClaims claims;
        claims.scope = "1/2/";
        claims.exp = 1000 + 3600;
        claims.kinds = {"logs", "tarballs"};
        claims.jti = "j";
        claims.max_bytes = 5;
        claims.ip = {"10.0.0.0/8"};
        claims.overwrite = true;
        claims.build = "b";
        const std::string token = mint_token("k1", "0123456789abcdef0123", claims_to_json(claims));
        KeyRing keys{{"k1", "0123456789abcdef0123"}};
        VerifyOptions options;
        options.now = 1000;
        const TokenCheck check = verify_token(token, keys, options);
        CPPUNIT_ASSERT_EQUAL(std::string("ok"), std::string(problem_code(check.problem)));
        CPPUNIT_ASSERT_EQUAL(std::string("1/2/"), check.claims.scope);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, *check.claims.max_bytes);
        CPPUNIT_ASSERT(!check.claims.max_files);
        CPPUNIT_ASSERT(check.claims.overwrite);
        CPPUNIT_ASSERT_EQUAL(std::string("b"), check.claims.build);
        CPPUNIT_ASSERT_EQUAL(std::string("k1"), check.kid);
        CPPUNIT_ASSERT(check.reason.find(token.substr(token.rfind('.') + 1)) == std::string::npos);
    }

    void base64url_is_strict() {
        CPPUNIT_ASSERT_EQUAL(std::string("aGk"), base64url_encode("hi"));
        CPPUNIT_ASSERT_EQUAL(std::string("-_8"), base64url_encode("\xfb\xff"));
        CPPUNIT_ASSERT_EQUAL(std::string("hi"), *base64url_decode("aGk"));
        CPPUNIT_ASSERT(!base64url_decode("aGk="));  // padding
        CPPUNIT_ASSERT(!base64url_decode("aGl"));   // leftover bits: a second spelling of "hi"
        CPPUNIT_ASSERT(!base64url_decode("a"));     // impossible length
        CPPUNIT_ASSERT(!base64url_decode("a+/A"));  // standard alphabet
        CPPUNIT_ASSERT_EQUAL(std::string(), *base64url_decode(""));
    }

    void cidr_ranges_match_clients() {
        const auto v4 = parse_cidr("192.0.2.0/24");
        CPPUNIT_ASSERT(v4);
        CPPUNIT_ASSERT(cidr_contains(*v4, "192.0.2.77"));
        CPPUNIT_ASSERT(cidr_contains(*v4, "::ffff:192.0.2.77"));
        CPPUNIT_ASSERT(!cidr_contains(*v4, "192.0.3.1"));
        CPPUNIT_ASSERT(!cidr_contains(*v4, "2001:db8::1"));
        const auto v6 = parse_cidr("2001:db8::/33");
        CPPUNIT_ASSERT(v6 && cidr_contains(*v6, "2001:db8:7fff::1") && !cidr_contains(*v6, "2001:db8:8000::1"));
        CPPUNIT_ASSERT(cidr_contains(*parse_cidr("127.0.0.1"), "127.0.0.1"));
        CPPUNIT_ASSERT(cidr_contains(*parse_cidr("0.0.0.0/0"), "203.0.113.9"));
        CPPUNIT_ASSERT(!parse_cidr("192.0.2.1/24"));
        CPPUNIT_ASSERT(!parse_cidr("10.0.0.0/33"));
        CPPUNIT_ASSERT(!parse_cidr("10.0.0.0/"));
        CPPUNIT_ASSERT(!parse_cidr("10.0.0.0/255.0.0.0"));
        CPPUNIT_ASSERT(!parse_cidr("example.org"));
        CPPUNIT_ASSERT(!cidr_contains(*v4, "not an address"));
    }

    void sizes_and_durations_parse() {
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{2} << 30, *parse_byte_size("2G"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{512} << 20, *parse_byte_size("512m"));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{1234}, *parse_byte_size("1234"));
        CPPUNIT_ASSERT(!parse_byte_size("2GB"));
        CPPUNIT_ASSERT(!parse_byte_size("-1"));
        CPPUNIT_ASSERT(!parse_byte_size("G"));
        CPPUNIT_ASSERT(!parse_byte_size("99999999999T"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{86400}, *parse_duration("24h"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{90}, *parse_duration("90s"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{60}, *parse_duration("60"));
        CPPUNIT_ASSERT(!parse_duration("1w"));
    }

    void every_token_in_a_query_is_redacted() {
        const std::string t = "art1.k.claims.SIGNATURE";
        const std::string r = "art1.k.claims.(redacted)";
        const std::pair<std::string, std::string> cases[] = {
            {"token=" + t, "token=" + r},
            {"TOKEN=" + t, "TOKEN=" + r},
            {"token=&token=" + t, "token=&token=" + r},
            {"seal&ToKeN=" + t + ";x=1", "seal&ToKeN=" + r + ";x=1"},
            {"%74oken=" + t, "%74oken=" + r},
            {"token=art1%2Ek%2Eclaims%2ESIGNATURE", "token=" + r},
            {"t=" + t, "t=" + r},                          // a signed token under any name
            {"auth=Bearer%20" + t, "auth=(redacted)"},     // behind "Bearer "
            {"token=not-a-token%0A", "token=(redacted)"},  // whatever a token parameter holds
            {"extract&raw", "extract&raw"},
            {"token", "token"},
            {"", ""},
        };
        for (const auto& [query, expected] : cases) {
            CPPUNIT_ASSERT_EQUAL_MESSAGE(query, expected, redact_query_tokens(query));
            CPPUNIT_ASSERT_MESSAGE(query, redact_query_tokens(query).find("SIGNATURE") == std::string::npos);
        }
    }

    void upload_token_is_the_first_non_empty_one() {
        CPPUNIT_ASSERT_EQUAL(std::string("art1.k.c.s"), *query_token("token=&token=art1.k.c.s&token=other"));
        CPPUNIT_ASSERT_EQUAL(std::string("art1.k.c.s"), *query_token("seal&token=art1%2Ek.c.s"));
        CPPUNIT_ASSERT(!query_token("TOKEN=art1.k.c.s"));  // the parameter is ?token=, as documented
        CPPUNIT_ASSERT(!query_token("token="));
    }

    void redaction_drops_the_signature() {
        CPPUNIT_ASSERT_EQUAL(std::string("art1.k.claims.(redacted)"), redact_token("art1.k.claims.SIGNATURE"));
        CPPUNIT_ASSERT_EQUAL(std::string("(redacted)"), redact_token("garbage"));
        CPPUNIT_ASSERT_EQUAL(std::string("s3cr3t-value"), std::string(key_file_secret("s3cr3t-value \r\n")));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TokenTest);
