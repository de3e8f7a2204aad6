// The processor chain on its own: pieces pass through processors in order, a transformer
// may hold bytes back and hand on a tail at the end, a refusal stops the body, a chain that
// did not finish aborts every processor, and notes are gathered from all of them.
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "../../mod_artifacts/core/codec/digest.h"
#include "../../mod_artifacts/core/policy/refusal.h"
#include "../../mod_artifacts/core/upload/body_checks.h"
#include "../../mod_artifacts/core/upload/processor.h"

using namespace artifacts;

namespace {

class PiecesSource final : public ByteSource {
public:
    explicit PiecesSource(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
    std::string_view next() override {
        if (index_ == pieces_.size()) {
            return {};
        }
        return pieces_[index_++];
    }

private:
    std::vector<std::string> pieces_;
    std::size_t index_ = 0;
};

// Records what it saw, and whether it finished or was aborted.
class Recorder final : public Processor {
public:
    void see(std::string_view piece, Sink& next) override {
        seen += std::string(piece) + "|";
        next.write(piece);
    }
    void finish(Sink&) override { finished = true; }
    void abort() noexcept override { aborted = true; }
    void annotate(ObjectNotes& notes) const override { notes.compressed = true; }
    std::string seen;
    bool finished = false;
    bool aborted = false;
};

// A transformer: hands on each piece twice, upper-cased, but only every second piece (it
// holds the first back), and "!" as its tail.
class Doubler final : public Processor {
public:
    void see(std::string_view piece, Sink& next) override {
        held_ += piece;
        if (++count_ % 2 == 0) {
            emit(next);
        }
    }
    void finish(Sink& next) override {
        emit(next);
        next.write("!");
    }

private:
    void emit(Sink& next) {
        std::string upper;
        for (const char c : held_) {
            upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        next.write(upper);
        next.write(upper);
        held_.clear();
    }
    std::string held_;
    int count_ = 0;
};

// Sets a flag of the test's when aborted (the chain owns and destroys it).
class AbortFlag final : public Processor {
public:
    explicit AbortFlag(bool& aborted) : aborted_(aborted) {}
    void see(std::string_view piece, Sink& next) override { next.write(piece); }
    void abort() noexcept override { aborted_ = true; }

private:
    bool& aborted_;
};

std::string read_all(ProcessorChain& chain) {
    std::string out;
    for (std::string_view piece = chain.next(); !piece.empty(); piece = chain.next()) {
        out += piece;
    }
    return out;
}

}  // namespace

class ProcessorChainTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ProcessorChainTest);
    CPPUNIT_TEST(observers_pass_every_piece_unchanged_in_order);
    CPPUNIT_TEST(a_transformer_changes_what_follows_it_and_adds_its_tail);
    CPPUNIT_TEST(a_transformer_may_reuse_its_buffer_between_writes);
    CPPUNIT_TEST(an_empty_body_still_finishes_every_processor);
    CPPUNIT_TEST(a_refusal_midway_aborts_every_processor);
    CPPUNIT_TEST(a_chain_left_before_its_end_aborts_and_a_finished_one_does_not);
    CPPUNIT_TEST(the_digest_measures_what_reaches_it);
    CPPUNIT_TEST(a_checksum_mismatch_is_refused_at_the_end);
    CPPUNIT_TEST_SUITE_END();

public:
    void observers_pass_every_piece_unchanged_in_order() {
        PiecesSource body({"ab", "c", "def"});
        ProcessorChain chain(body);
        Recorder& first = chain.add(std::make_unique<Recorder>());
        Recorder& second = chain.add(std::make_unique<Recorder>());
        CPPUNIT_ASSERT_EQUAL(std::string("ab"), std::string(chain.next()));
        CPPUNIT_ASSERT_EQUAL(std::string("cdef"), read_all(chain));
        CPPUNIT_ASSERT(chain.finished());
        CPPUNIT_ASSERT_EQUAL(std::string("ab|c|def|"), first.seen);
        CPPUNIT_ASSERT_EQUAL(first.seen, second.seen);
        CPPUNIT_ASSERT(first.finished && second.finished);
        CPPUNIT_ASSERT(chain.notes() != nullptr && chain.notes()->compressed);
    }

    void a_transformer_changes_what_follows_it_and_adds_its_tail() {
        PiecesSource body({"ab", "c", "d"});
        ProcessorChain chain(body);
        Recorder& before = chain.add(std::make_unique<Recorder>());
        chain.add(std::make_unique<Doubler>());
        Recorder& after = chain.add(std::make_unique<Recorder>());
        CPPUNIT_ASSERT_EQUAL(std::string("ABCABCDD!"), read_all(chain));
        CPPUNIT_ASSERT_EQUAL(std::string("ab|c|d|"), before.seen);
        CPPUNIT_ASSERT_EQUAL(std::string("ABC|ABC|D|D|!|"), after.seen);
    }

    void a_transformer_may_reuse_its_buffer_between_writes() {
        // As zlib's output block is: written, then overwritten by the next output.
        class Reuser final : public Processor {
        public:
            void see(std::string_view piece, Sink& next) override {
                for (const char c : piece) {
                    buffer_[0] = c;
                    buffer_[1] = c;
                    next.write(std::string_view(buffer_, 2));
                }
            }

        private:
            char buffer_[2] = {};
        };
        PiecesSource body({"abc", "d"});
        ProcessorChain chain(body);
        chain.add(std::make_unique<Reuser>());
        CPPUNIT_ASSERT_EQUAL(std::string("aabbccdd"), read_all(chain));
    }

    void an_empty_body_still_finishes_every_processor() {
        PiecesSource body({});
        ProcessorChain chain(body);
        Recorder& recorder = chain.add(std::make_unique<Recorder>());
        chain.add(std::make_unique<Doubler>());
        CPPUNIT_ASSERT_EQUAL(std::string("!"), read_all(chain));
        CPPUNIT_ASSERT(recorder.finished);
        CPPUNIT_ASSERT(chain.next().empty());
    }

    void a_refusal_midway_aborts_every_processor() {
        PiecesSource body({"12345", "67890", "x"});
        bool aborted = false;
        bool refused = false;
        try {
            ProcessorChain chain(body);
            chain.add(std::make_unique<AbortFlag>(aborted));
            chain.add(std::make_unique<SizeLimit>(8));
            chain.next();
            chain.next();
        } catch (const Refused& refusal) {
            CPPUNIT_ASSERT_EQUAL(413, refusal.refusal.status);
            refused = true;
        }
        CPPUNIT_ASSERT(refused);
        CPPUNIT_ASSERT(aborted);
    }

    void a_chain_left_before_its_end_aborts_and_a_finished_one_does_not() {
        PiecesSource body({"a", "b"});
        bool aborted = false;
        {
            ProcessorChain chain(body);
            chain.add(std::make_unique<AbortFlag>(aborted));
            chain.next();
        }
        CPPUNIT_ASSERT(aborted);

        PiecesSource whole({"a", "b"});
        bool whole_aborted = false;
        {
            ProcessorChain chain(whole);
            chain.add(std::make_unique<AbortFlag>(whole_aborted));
            chain.drain();
        }
        CPPUNIT_ASSERT(!whole_aborted);
    }

    void the_digest_measures_what_reaches_it() {
        PiecesSource body({"ab", "c"});
        ProcessorChain chain(body);
        chain.add(std::make_unique<Doubler>());
        BodyDigest& digest = chain.add(std::make_unique<BodyDigest>());
        chain.drain();
        Sha256 sha;
        sha.update("ABCABC!");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{7}, digest.size());
        CPPUNIT_ASSERT_EQUAL(sha.hex_digest(), digest.sha256());
    }

    void a_checksum_mismatch_is_refused_at_the_end() {
        PiecesSource body({"abc"});
        ProcessorChain chain(body);
        chain.add(std::make_unique<BodyDigest>(std::string(64, '0')));
        CPPUNIT_ASSERT_EQUAL(std::string("abc"), std::string(chain.next()));
        try {
            chain.next();
            CPPUNIT_FAIL("a wrong checksum was accepted");
        } catch (const Refused& refused) {
            CPPUNIT_ASSERT_EQUAL(std::string("checksum_mismatch"), refused.refusal.code);
        }
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProcessorChainTest);
