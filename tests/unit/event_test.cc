// Events after commit: their JSON body, their signature (checked against Python's hmac in
// the integration test, against a fixed vector here), the outbox record's stored form and
// the backoff between attempts.
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "../../mod_artifacts/core/events/event.h"

using namespace artifacts;

class EventTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(EventTest);
    CPPUNIT_TEST(a_seal_event_carries_the_scope_and_its_logs);
    CPPUNIT_TEST(a_file_event_carries_the_file_and_its_summary);
    CPPUNIT_TEST(the_signature_is_hmac_sha256_of_the_body);
    CPPUNIT_TEST(outbox_records_read_back_and_refuse_what_they_are_not);
    CPPUNIT_TEST(retries_back_off_to_five_minutes_with_jitter);
    CPPUNIT_TEST_SUITE_END();

public:
    void a_seal_event_carries_the_scope_and_its_logs() {
        Event event;
        event.kind = "seal";
        event.id = "0123abcd";
        event.scope = "42/abc/";
        event.url = "https://logs.example/42/abc/";
        event.build = "b\"1";
        event.job = "tempest";
        event.jti = "j";
        event.files = 10;
        event.bytes = 4096;
        event.time = 1795604707;
        ScopeSummary logs;
        LogSummary one;
        one.lines = 5;
        one.levels[5] = 2;  // ERROR
        logs.add(one);
        one.levels[5] = 0;
        one.levels[1] = 5;  // INFO
        logs.add(one);
        event.scope_summary = logs;
        CPPUNIT_ASSERT_EQUAL(std::string("{\"event\":\"seal\",\"id\":\"0123abcd\",\"scope\":\"42/abc/\","
                                         "\"url\":\"https://logs.example/42/abc/\",\"build\":\"b\\\"1\","
                                         "\"job\":\"tempest\",\"jti\":\"j\",\"files\":10,\"bytes\":4096,"
                                         "\"time\":1795604707,\"summary\":{\"logs\":2,\"failing\":1,\"lines\":10,"
                                         "\"levels\":{\"INFO\":5,\"ERROR\":2}}}"),
                             event_json(event));
    }

    void a_file_event_carries_the_file_and_its_summary() {
        Event event;
        event.kind = "file";
        event.path = "42/abc/job-output.txt";
        event.sha256 = std::string(64, 'a');
        event.files = 1;
        const std::string without = event_json(event);
        CPPUNIT_ASSERT(without.find("\"path\":\"42/abc/job-output.txt\"") != std::string::npos);
        CPPUNIT_ASSERT(without.find("\"summary\":null}") != std::string::npos);
        LogSummary summary;
        summary.lines = 3;
        summary.first_error = 2;
        summary.levels[5] = 1;
        event.summary = summary;
        CPPUNIT_ASSERT(event_json(event).find("\"summary\":{\"lines\":3,\"levels\":{\"ERROR\":1},\"first_error\":2,"
                                              "\"first_critical\":null}}") != std::string::npos);
    }

    void the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        CPPUNIT_ASSERT_EQUAL(std::string("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
                             event_signature("Jefe", "what do ya want for nothing?"));
    }

    void outbox_records_read_back_and_refuse_what_they_are_not() {
        const OutboxRecord record{"http://hook.example/x?a=1", "ab12", "seal", "sha256=00ff", 3, 100, 164,
                                  "{\"event\":\"seal\"}"};
        const std::string stored = format_outbox_record(record);
        const auto back = parse_outbox_record(stored);
        CPPUNIT_ASSERT(back);
        CPPUNIT_ASSERT_EQUAL(record.url, back->url);
        CPPUNIT_ASSERT_EQUAL(record.event_id, back->event_id);
        CPPUNIT_ASSERT_EQUAL(record.kind, back->kind);
        CPPUNIT_ASSERT_EQUAL(record.signature, back->signature);
        CPPUNIT_ASSERT_EQUAL(3u, back->attempts);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{100}, back->created);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{164}, back->next_attempt);
        CPPUNIT_ASSERT_EQUAL(record.body, back->body);
        CPPUNIT_ASSERT(!parse_outbox_record(""));
        CPPUNIT_ASSERT(!parse_outbox_record(stored.substr(0, stored.size() - 1)));  // cut short
        CPPUNIT_ASSERT(!parse_outbox_record("artifacts-outbox 1\nab12 seal s x 100 164 http://h\n{}\n"));
        CPPUNIT_ASSERT(!parse_outbox_record("artifacts-outbox 1\nab12 seal s 1 100 164 http://h\n{}\n{}\n"));
        CPPUNIT_ASSERT(!parse_outbox_record("artifacts-outbox 2\nab12 seal s 1 100 164 http://h\n{}\n"));
    }

    void retries_back_off_to_five_minutes_with_jitter() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, retry_delay(1, 0));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{16}, retry_delay(4, 0));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{19}, retry_delay(4, 999));  // a fifth more at most
        CPPUNIT_ASSERT_EQUAL(std::int64_t{300}, retry_delay(9, 0));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{300}, retry_delay(60, 0));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{359}, retry_delay(4000000000U, 999));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventTest);
