// The processor chain every uploaded body streams through on its way into a store. Each
// processor sees the body piece by piece and hands on what the next one (in the end the
// store) receives: the piece itself when it only looks (the size limit, the checksum, a
// log's summary), other bytes when it changes them (compression). At the end of the body
// each one finishes (a check refuses there, a transformer hands on its tail); when the body
// is not stored after all, each one is aborted. A processor may leave notes on the stored
// object (its encoding, a log summary) that the store keeps with it.
//
// Pulled, as ByteSource is: the chain is the ByteSource a store's write() reads, so no
// piece is held longer than one pull and memory stays flat whatever the body's size.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../http/sink.h"
#include "../store/store.h"

namespace artifacts {

class Processor {
public:
    virtual ~Processor() = default;
    // One piece of the body as it reaches this processor; what goes on is written to `next`
    // (during this call or later: a transformer may hold bytes back). Throws Refused.
    virtual void see(std::string_view piece, Sink& next) = 0;
    // The body has ended: whole-body checks refuse here; a transformer hands on its tail.
    virtual void finish(Sink& next) { (void)next; }
    // The body will not be stored (refused, failed, the client went away).
    virtual void abort() noexcept {}
    // After finish(): what this processor tells the store about the object.
    virtual void annotate(ObjectNotes& notes) const { (void)notes; }
    // True for a processor that hands on every piece unchanged, at once, and may therefore
    // see the body on another thread (background_observer.h).
    virtual bool observes_only() const { return false; }
};

// A body read through processors, in the order they were added. Destroying a chain that did
// not finish aborts every processor.
class ProcessorChain final : public ByteSource {
public:
    explicit ProcessorChain(ByteSource& body);
    ~ProcessorChain() override;
    ProcessorChain(const ProcessorChain&) = delete;
    ProcessorChain& operator=(const ProcessorChain&) = delete;

    // Returns the processor, still owned by the chain, for the caller to read afterwards.
    template <typename P>
    P& add(std::unique_ptr<P> processor) {
        P& added = *processor;
        processors_.push_back(std::move(processor));
        return added;
    }

    // The next piece of what the store receives; empty once the body ended and every
    // processor finished. Throws Refused.
    std::string_view next() override;
    // Reads the rest of the body through the chain (for a body nobody stores).
    void drain();
    bool finished() const { return finished_; }
    // What the processors noted, once finished (nullptr before).
    const ObjectNotes* notes() const override { return finished_ ? &notes_ : nullptr; }

private:
    // Where processor `index` writes: the next processor's see(), or after the last one the
    // output that next() returns.
    class Link final : public Sink {
    public:
        Link(ProcessorChain& chain, std::size_t index) : chain_(chain), index_(index) {}
        void write(std::string_view bytes) override { chain_.pass(index_ + 1, bytes); }

    private:
        ProcessorChain& chain_;
        std::size_t index_;
    };

    void pass(std::size_t index, std::string_view bytes);
    void end();

    ByteSource& body_;
    std::string_view piece_;  // the body's latest piece
    std::vector<std::unique_ptr<Processor>> processors_;
    std::vector<Link> links_;
    // The output of one pull: a view of the body's piece when it is that (no copy), else
    // gathered.
    std::string_view out_view_;
    std::string out_buffer_;
    bool gathered_ = false;
    bool ended_ = false;
    bool finished_ = false;
    ObjectNotes notes_;
};

}  // namespace artifacts
