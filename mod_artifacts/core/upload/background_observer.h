// A processor that only looks at a body (a log's summary) run beside the request instead of
// in it, once the body is long enough for that to pay: the first `inline_bytes` are seen in
// the request's thread as usual; past them, the pieces are copied into a few blocks that a
// thread of the observer's own reads, so that a long log is counted on a second core while
// the request goes on hashing and writing it. The queue is bounded (kBlocks blocks of
// kBlockSize bytes): a thread that falls behind holds the request back rather than memory
// growing. finish() waits for the thread; abort() and the destructor stop it.
//
// Only for observers: what the wrapped processor hands on is dropped, the piece itself goes
// on. A short body never starts a thread.
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
    static constexpr std::size_t kBlockSize = 1 << 20;
    static constexpr std::size_t kBlocks = 4;

    BackgroundObserver(std::unique_ptr<Processor> observer, std::uint64_t inline_bytes);
    ~BackgroundObserver() override;
    BackgroundObserver(const BackgroundObserver&) = delete;
    BackgroundObserver& operator=(const BackgroundObserver&) = delete;

    void see(std::string_view piece, Sink& next) override;
    // Rethrows what the observer threw on its thread.
    void finish(Sink& next) override;
    void abort() noexcept override;
    void annotate(ObjectNotes& notes) const override { observer_->annotate(notes); }

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
    void run() noexcept;

    std::unique_ptr<Processor> observer_;
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
    std::exception_ptr failure_;      // what the observer threw on the thread
};

}  // namespace artifacts
