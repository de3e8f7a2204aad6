#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/htmlify/log_line.h"

using namespace artifacts;

namespace {

std::string anchor_of(const LogLine& line) {
    return line.has_anchor ? std::string(line.anchor.data(), line.anchor.size()) : std::string();
}

std::string timestamp_of(std::string_view text, const LogLine& line) {
    return std::string(text.substr(line.timestamp_begin, line.timestamp_count));
}

}  // namespace

class LogLineTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(LogLineTest);
    CPPUNIT_TEST(oslo_lines);
    CPPUNIT_TEST(oslo_levels);
    CPPUNIT_TEST(timestamp_variants);
    CPPUNIT_TEST(console_lines);
    CPPUNIT_TEST(syslog_lines);
    CPPUNIT_TEST(tracebacks_and_plain_text);
    CPPUNIT_TEST(level_names);
    CPPUNIT_TEST(request_ids);
    CPPUNIT_TEST(truncated_lines_are_plain);
    CPPUNIT_TEST_SUITE_END();

public:
    void oslo_lines() {
        const std::string_view text =
            "2026-11-25 21:50:01.123 48213 INFO nova.compute.manager [req-0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10 "
            "admin demo] [instance: 5f0c] Took 2.31 seconds to spawn the instance on the hypervisor.";
        const LogLine line = classify_log_line(text);
        CPPUNIT_ASSERT(line.shape == LineShape::Oslo);
        CPPUNIT_ASSERT(line.level == Level::Info);
        CPPUNIT_ASSERT_EQUAL(std::string("_2026-11-25_21_50_01_123"), anchor_of(line));
        CPPUNIT_ASSERT_EQUAL(std::size_t{0}, line.timestamp_begin);
        CPPUNIT_ASSERT_EQUAL(std::string("2026-11-25 21:50:01.123"), timestamp_of(text, line));
    }

    void oslo_levels() {
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 DEBUG oslo_concurrency.lockutils [-] Lock").level ==
                       Level::Debug);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 AUDIT nova.compute.resource_tracker [-] x").level ==
                       Level::Audit);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 WARNING nova.virt.libvirt.driver [-] x").level ==
                       Level::Warning);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 ERROR nova.compute.manager [-] x").level ==
                       Level::Error);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 CRITICAL nova [-] Unhandled error").level ==
                       Level::Critical);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 TRACE nova.api.openstack   File \"x.py\"").level ==
                       Level::Trace);
        // Python's default format has no PID.
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01,123 WARN keystone.common.wsgi x").level ==
                       Level::Warning);
        // A word that is not a level, or a lower-case one, gives none.
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 NOTICE something").level == Level::None);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 info something").level == Level::None);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7 ERRORS are fine").level == Level::None);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 7x ERROR x").level == Level::None);
    }

    void timestamp_variants() {
        CPPUNIT_ASSERT_EQUAL(std::string("_2026-01-02_03_04_05_000"),
                             anchor_of(classify_log_line("2026-01-02 03:04:05 INFO x")));
        CPPUNIT_ASSERT_EQUAL(std::string("_2026-01-02_03_04_05_120"),
                             anchor_of(classify_log_line("2026-01-02T03:04:05.12Z INFO x")));
        const std::string_view micro = "2026-01-02 03:04:05.123456+00:00 | ok";
        const LogLine line = classify_log_line(micro);
        CPPUNIT_ASSERT_EQUAL(std::string("_2026-01-02_03_04_05_123"), anchor_of(line));
        CPPUNIT_ASSERT_EQUAL(std::string("2026-01-02 03:04:05.123456+00:00"), timestamp_of(micro, line));
        CPPUNIT_ASSERT(!classify_log_line("2026-01-02 03:04 INFO x").has_anchor);
        CPPUNIT_ASSERT(!classify_log_line("v2026-01-02 03:04:05 INFO x").has_anchor);
    }

    void console_lines() {
        // Zuul's job-output.txt: timestamp, host, message.
        const LogLine task = classify_log_line("2026-11-25 21:50:01.123456 | controller | TASK [devstack : run]");
        CPPUNIT_ASSERT(task.shape == LineShape::Console);
        CPPUNIT_ASSERT(task.level == Level::None);
        CPPUNIT_ASSERT_EQUAL(std::string("_2026-11-25_21_50_01_123"), anchor_of(task));
        // A service log shown in the console keeps its level.
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123456 | controller | 2026-11-25 21:50:00.998 812 ERROR "
                                         "cinder.volume.manager [-] Failed")
                           .level == Level::Error);
        // devstack screen logs: no host field.
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 | 2026-11-25 21:50:01.120 4242 WARNING "
                                         "neutron.agent [-] Port not found")
                           .level == Level::Warning);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 | + lib/nova:start_nova:812 :   echo ERROR").level ==
                       Level::None);
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:01.123 |").shape == LineShape::Console);
    }

    void syslog_lines() {
        const std::string_view text =
            "Nov 25 21:50:01.482913 np0038 nova-compute[71234]: ERROR nova.compute.manager [None "
            "req-5c0e3d1a-9b8f-4e2d-a6c7-1f0e9d8c7b6a admin admin] Build failed";
        const LogLine journal = classify_log_line(text);
        CPPUNIT_ASSERT(journal.shape == LineShape::Syslog);
        CPPUNIT_ASSERT(journal.level == Level::Error);
        CPPUNIT_ASSERT_EQUAL(std::string("Nov 25 21:50:01.482913"), timestamp_of(text, journal));
        CPPUNIT_ASSERT(!journal.has_anchor);
        const LogLine kernel = classify_log_line("Nov  5 01:02:03 np0038 kernel: [  12.3] eth0: link up");
        CPPUNIT_ASSERT(kernel.shape == LineShape::Syslog);
        CPPUNIT_ASSERT(kernel.level == Level::Info);
        CPPUNIT_ASSERT(classify_log_line("Nov 25 21:50:01 h sudo[9]: WARNING: x").level == Level::Warning);
        CPPUNIT_ASSERT(classify_log_line("Now 25 21:50:01 h sudo[9]: x").shape == LineShape::Plain);
    }

    void tracebacks_and_plain_text() {
        CPPUNIT_ASSERT(classify_log_line("Traceback (most recent call last):").shape == LineShape::Traceback);
        CPPUNIT_ASSERT(classify_log_line("Traceback (most recent call last):").level == Level::None);
        CPPUNIT_ASSERT(
            classify_log_line("  File \"/opt/stack/nova/nova/compute/manager.py\", line 2461, in _build").level ==
            Level::None);
        CPPUNIT_ASSERT(classify_log_line("oslo_messaging.exceptions.MessagingTimeout: Timed out").level == Level::None);
        CPPUNIT_ASSERT(classify_log_line("ERROR: could not install deps [-r requirements.txt]").level == Level::Error);
        CPPUNIT_ASSERT(classify_log_line("WARNING:root:falling back to the slow path").level == Level::Warning);
        CPPUNIT_ASSERT(classify_log_line("ERRORS: 3").level == Level::None);
        CPPUNIT_ASSERT(classify_log_line("").shape == LineShape::Plain);
    }

    void level_names() {
        CPPUNIT_ASSERT(parse_level("warning") == Level::Warning);
        CPPUNIT_ASSERT(parse_level("Warn") == Level::Warning);
        CPPUNIT_ASSERT(parse_level("CRITICAL") == Level::Critical);
        CPPUNIT_ASSERT(parse_level("fatal") == Level::Critical);
        CPPUNIT_ASSERT(!parse_level(""));
        CPPUNIT_ASSERT(!parse_level("verbose"));
        CPPUNIT_ASSERT(!parse_level("warning "));
        CPPUNIT_ASSERT(Level::Audit < Level::Trace && Level::Trace < Level::Warning);
        CPPUNIT_ASSERT_EQUAL(std::string("TRACE"), std::string(level_name(Level::Trace)));
    }

    void request_ids() {
        const std::string_view text = "[req-0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10 admin]";
        CPPUNIT_ASSERT(is_request_id_at(text, 1));
        CPPUNIT_ASSERT(!is_request_id_at(text, 0));
        CPPUNIT_ASSERT(!is_request_id_at("req-0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b1", 0));
        CPPUNIT_ASSERT(!is_request_id_at("req-0b7c1a6e_2f4d-4c8e-9a51-3d2e7f6a9b10", 0));
        CPPUNIT_ASSERT(!is_request_id_at("req-javascript:alert(1)//-4c8e-9a51-3d2e7f6a9b10", 0));
    }

    void truncated_lines_are_plain() {
        for (const std::string_view whole : {std::string_view("2026-11-25 21:50:01.123 48213 INFO nova"),
                                             std::string_view("Nov 25 21:50:01 h p: x")}) {
            for (std::size_t length = 0; length < whole.size(); ++length) {
                const std::string copy(whole.substr(0, length));  // no terminator to read past
                classify_log_line(copy);
            }
        }
        CPPUNIT_ASSERT(classify_log_line("2026-11-25 21:50:0").shape == LineShape::Plain);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogLineTest);
