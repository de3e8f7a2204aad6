// An observer run beside the request: the same summary as in the request's own thread
// whatever the pieces, every piece handed on unchanged, no thread for a short body, and a
// thread that always ends (finish, abort, destruction, an observer that throws).
#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "../../mod_artifacts/core/store/log_summary.h"
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
    CPPUNIT_TEST_SUITE_END();

public:
    void a_long_log_gets_the_summary_it_gets_inline() {
        const std::string log = make_log(9 << 20);
        LogSummarizer inline_summarizer;
        CPPUNIT_ASSERT(feed(inline_summarizer, log, 65536) == log);
        for (const std::size_t piece : {std::size_t{8000}, std::size_t{1} << 20, std::size_t{3000001}}) {
            BackgroundObserver background(std::make_unique<LogSummarizer>(), 100000);
            CPPUNIT_ASSERT(feed(background, log, piece) == log);
            CPPUNIT_ASSERT(background.went_to_background());
            CPPUNIT_ASSERT_EQUAL(summary_of(inline_summarizer), summary_of(background));
        }
    }

    void a_short_body_starts_no_thread() {
        const std::string log = make_log(50000);
        BackgroundObserver background(std::make_unique<LogSummarizer>(), 1 << 20);
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
            BackgroundObserver aborted(std::make_unique<LogSummarizer>(), 0);
            for (std::size_t at = 0; at < log.size(); at += 65536) {
                aborted.see(std::string_view(log).substr(at, 65536), next);
            }
            CPPUNIT_ASSERT(aborted.went_to_background());
            aborted.abort();  // returns: the thread stopped, its queue full or not
        }
        BackgroundObserver dropped(std::make_unique<LogSummarizer>(), 0);
        dropped.see(log, next);  // destroyed without finish or abort
    }

    void what_the_observer_throws_comes_out_of_finish() {
        const std::string log = make_log(6 << 20);
        BackgroundObserver background(std::make_unique<Thrower>(), 1 << 20);
        Collect next;
        for (std::size_t at = 0; at < log.size(); at += 65536) {
            background.see(std::string_view(log).substr(at, 65536), next);  // never waits for good
        }
        CPPUNIT_ASSERT(next.bytes_ == log);
        CPPUNIT_ASSERT_THROW(background.finish(next), std::runtime_error);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(BackgroundObserverTest);
