// An observer run beside the request: the same summary as in the request's own thread
// whatever the pieces, every piece handed on unchanged, no thread for a short body, and a
// thread that always ends (finish, abort, destruction, an observer that throws).
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../mod_artifacts/core/codec/digest.h"
#include "../../mod_artifacts/core/policy/refusal.h"
#include "../../mod_artifacts/core/store/log_summary.h"
#include "../../mod_artifacts/core/upload/body_checks.h"
#include "../../mod_artifacts/core/upload/background_observer.h"
#include "../../mod_artifacts/core/upload/log_summarizer.h"

using namespace artifacts;

namespace {

class Collect final : public Sink {
public:
    void write(std::string_view bytes) override { bytes_ += bytes; }
    std::string bytes_;
};

// A log of a few MiB: oslo lines of every level, console lines, tracebacks.
std::string make_log(std::size_t size) {
    static const char* const kLines[] = {
        "2026-11-25 21:50:01.123 4321 DEBUG nova.compute [-] looking\n",
        "2026-11-25 21:50:01.124 4321 INFO nova.compute [-] spawned\n",
        "2026-11-25 21:50:01.125 4321 WARNING nova.compute [-] slow\n",
        "2026-11-25 21:50:01.126 4321 ERROR nova.compute [-] failed\n",
        "2026-11-25 21:50:01.127 4321 CRITICAL nova.compute [-] gone\n",
        "2026-11-25 21:50:01.128634 | controller | ok: [controller]\n",
        "Traceback (most recent call last):\n",
        "  File \"x.py\", line 1, in <module>\n",
    };
    std::string log;
    for (std::size_t i = 0; log.size() < size; ++i) {
        log += kLines[(i * 7 + i / 13) % std::size(kLines)];
    }
    return log;
}

std::string summary_of(const Processor& processor) {
    ObjectNotes notes;
    processor.annotate(notes);
    CPPUNIT_ASSERT(notes.summary);
    return format_log_summary(*notes.summary);
}

// Feeds `body` in pieces of `piece` bytes; returns what was handed on.
std::string feed(Processor& processor, const std::string& body, std::size_t piece) {
    Collect next;
    for (std::size_t at = 0; at < body.size(); at += piece) {
        processor.see(std::string_view(body).substr(at, piece), next);
    }
    processor.finish(next);
    return next.bytes_;
}

std::vector<std::unique_ptr<Processor>> alone(std::unique_ptr<Processor> observer) {
    std::vector<std::unique_ptr<Processor>> observers;
    observers.push_back(std::move(observer));
    return observers;
}

class Thrower final : public Processor {
public:
    void see(std::string_view piece, Sink&) override {
        seen_ += piece.size();
        if (seen_ > (3 << 20)) {
            throw std::runtime_error("observer failed");
        }
    }

private:
    std::size_t seen_ = 0;
};

}  // namespace

class BackgroundObserverTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(BackgroundObserverTest);
    CPPUNIT_TEST(a_long_log_gets_the_summary_it_gets_inline);
    CPPUNIT_TEST(a_short_body_starts_no_thread);
    CPPUNIT_TEST(an_abandoned_body_stops_the_thread);
    CPPUNIT_TEST(what_the_observer_throws_comes_out_of_finish);
    CPPUNIT_TEST(a_digest_beside_the_request_is_the_body_s);
    CPPUNIT_TEST(a_process_runs_a_bounded_number_of_threads);
    CPPUNIT_TEST_SUITE_END();

public:
    void a_long_log_gets_the_summary_it_gets_inline() {
        const std::string log = make_log(9 << 20);
        LogSummarizer inline_summarizer;
        CPPUNIT_ASSERT(feed(inline_summarizer, log, 65536) == log);
        for (const std::size_t piece : {std::size_t{8000}, std::size_t{1} << 20, std::size_t{3000001}}) {
            BackgroundObserver background(alone(std::make_unique<LogSummarizer>()), 100000);
            CPPUNIT_ASSERT(feed(background, log, piece) == log);
            CPPUNIT_ASSERT(background.went_to_background());
            CPPUNIT_ASSERT_EQUAL(summary_of(inline_summarizer), summary_of(background));
        }
    }

    void a_short_body_starts_no_thread() {
        const std::string log = make_log(50000);
        BackgroundObserver background(alone(std::make_unique<LogSummarizer>()), 1 << 20);
        CPPUNIT_ASSERT(feed(background, log, 4096) == log);
        CPPUNIT_ASSERT(!background.went_to_background());
        LogSummarizer inline_summarizer;
        feed(inline_summarizer, log, 4096);
        CPPUNIT_ASSERT_EQUAL(summary_of(inline_summarizer), summary_of(background));
    }

    void an_abandoned_body_stops_the_thread() {
        const std::string log = make_log(12 << 20);
        Collect next;
        {
            BackgroundObserver aborted(alone(std::make_unique<LogSummarizer>()), 0);
            for (std::size_t at = 0; at < log.size(); at += 65536) {
                aborted.see(std::string_view(log).substr(at, 65536), next);
            }
            CPPUNIT_ASSERT(aborted.went_to_background());
            aborted.abort();  // returns: the thread stopped, its queue full or not
        }
        BackgroundObserver dropped(alone(std::make_unique<LogSummarizer>()), 0);
        dropped.see(log, next);  // destroyed without finish or abort
    }

    void what_the_observer_throws_comes_out_of_finish() {
        const std::string log = make_log(6 << 20);
        BackgroundObserver background(alone(std::make_unique<Thrower>()), 1 << 20);
        Collect next;
        for (std::size_t at = 0; at < log.size(); at += 65536) {
            background.see(std::string_view(log).substr(at, 65536), next);  // never waits for good
        }
        CPPUNIT_ASSERT(next.bytes_ == log);
        CPPUNIT_ASSERT_THROW(background.finish(next), std::runtime_error);
    }

    void a_digest_beside_the_request_is_the_body_s() {
        const std::string log = make_log(7 << 20);
        Sha256 sha;
        sha.update(log);
        const std::string expected = sha.hex_digest();
        std::vector<std::unique_ptr<Processor>> observers;
        auto digest = std::make_unique<BodyDigest>(expected);
        const BodyDigest& measured = *digest;
        observers.push_back(std::move(digest));
        observers.push_back(std::make_unique<LogSummarizer>());
        BackgroundObserver group(std::move(observers), 1 << 20);
        CPPUNIT_ASSERT(feed(group, log, 10000) == log);
        CPPUNIT_ASSERT(group.went_to_background());
        CPPUNIT_ASSERT_EQUAL(expected, measured.sha256());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{log.size()}, measured.size());
        std::vector<std::unique_ptr<Processor>> wrong;
        wrong.push_back(std::make_unique<BodyDigest>(std::string(64, '0')));
        BackgroundObserver refusing(std::move(wrong), 1 << 20);
        try {
            feed(refusing, log, 10000);
            CPPUNIT_FAIL("a wrong X-Artifact-Sha256 passed");
        } catch (const Refused& refused) {
            CPPUNIT_ASSERT_EQUAL(std::string("checksum_mismatch"), refused.refusal.code);
        }
    }

    void a_process_runs_a_bounded_number_of_threads() {
        std::vector<std::unique_ptr<BackgroundObserver>> groups;
        Collect next;
        for (int i = 0; i <= BackgroundObserver::kMaxThreads; ++i) {
            groups.push_back(std::make_unique<BackgroundObserver>(alone(std::make_unique<LogSummarizer>()), 0));
            groups.back()->see("2026-11-25 21:50:01.123 1 ERROR x [-] y\n", next);
        }
        int background = 0;
        for (const auto& group : groups) {
            background += group->went_to_background() ? 1 : 0;
        }
        CPPUNIT_ASSERT_EQUAL(BackgroundObserver::kMaxThreads, background);
        for (const auto& group : groups) {
            group->finish(next);
            CPPUNIT_ASSERT_EQUAL(std::string("lines=1 ERROR=1 first_error=1"), summary_of(*group));
        }
        groups.clear();
        BackgroundObserver again(alone(std::make_unique<LogSummarizer>()), 0);  // the threads were counted back
        again.see("x\n", next);
        CPPUNIT_ASSERT(again.went_to_background());
        again.finish(next);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BackgroundObserverTest);
