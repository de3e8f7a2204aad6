// Processors that only look at a body (its SHA-256, a log's summary) run beside the request
// instead of in it, once the body is long enough for that to pay: the first `inline_bytes`
// are seen in the request's thread as usual; past them, the pieces are copied into a few
// blocks that a thread of the group's own reads, so that a long body is hashed and counted
// on a second core while the request goes on receiving and writing it. The queue is bounded
// (kBlocks blocks of kBlockSize bytes): a thread that falls behind holds the request back
// rather than memory growing, and a process runs at most kMaxThreads of them (past that, a
// body is seen inline). finish() waits for the thread and then finishes each observer in
// order (a check refuses there as it would inline); abort() and the destructor stop it.
//
// Only for observers (Processor::observes_only): what they hand on is dropped, the piece
// itself goes on. A short body never starts a thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "processor.h"

namespace artifacts {

class BackgroundObserver final : public Processor {
public:
    static constexpr std::size_t kBlockSize = 256 * 1024;
    static constexpr std::size_t kBlocks = 4;
    static constexpr int kMaxThreads = 16;

    BackgroundObserver(std::vector<std::unique_ptr<Processor>> observers, std::uint64_t inline_bytes);
    ~BackgroundObserver() override;
    BackgroundObserver(const BackgroundObserver&) = delete;
    BackgroundObserver& operator=(const BackgroundObserver&) = delete;

    void see(std::string_view piece, Sink& next) override;
    // Rethrows what an observer threw on the thread.
    void finish(Sink& next) override;
    void abort() noexcept override;
    void annotate(ObjectNotes& notes) const override;
    bool observes_only() const override { return true; }

    // Whether the thread was started (for tests and measurements).
    bool went_to_background() const { return started_; }

private:
    class Discard final : public Sink {
    public:
        void write(std::string_view) override {}
    };

    void start();
    void hand_over();  // queues the block being filled (waits for room)
    void stop() noexcept;
    void join() noexcept;  // the thread, and counts it back
    void run() noexcept;

    void see_inline(std::string_view piece);

    std::vector<std::unique_ptr<Processor>> observers_;
    std::uint64_t inline_bytes_;
    std::uint64_t seen_ = 0;
    Discard discard_;

    std::thread worker_;
    bool started_ = false;
    std::string filling_;  // the block the request fills
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::string> queue_;   // full blocks for the thread, oldest first
    std::vector<std::string> spare_;  // blocks the thread has read, for reuse
    bool ended_ = false;              // no more blocks will come
    bool stopping_ = false;           // the thread is to stop now
    std::exception_ptr failure_;      // what an observer threw on the thread
};

}  // namespace artifacts
