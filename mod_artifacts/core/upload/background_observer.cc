#include "background_observer.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <system_error>
#include <utility>

namespace artifacts {

namespace {

std::atomic<int> threads{0};  // of this process, running

}  // namespace

BackgroundObserver::BackgroundObserver(std::vector<std::unique_ptr<Processor>> observers, std::uint64_t inline_bytes)
    : observers_(std::move(observers)), inline_bytes_(inline_bytes) {}

void BackgroundObserver::see_inline(std::string_view piece) {
    for (const auto& observer : observers_) {
        observer->see(piece, discard_);
    }
}

void BackgroundObserver::annotate(ObjectNotes& notes) const {
    for (const auto& observer : observers_) {
        observer->annotate(notes);
    }
}

BackgroundObserver::~BackgroundObserver() {
    stop();
}

void BackgroundObserver::see(std::string_view piece, Sink& next) {
    if (!started_) {
        see_inline(piece);
        seen_ += piece.size();
        if (seen_ >= inline_bytes_) {
            start();
        }
        next.write(piece);
        return;
    }
    for (std::string_view rest = piece; !rest.empty();) {
        const std::string_view taken = rest.substr(0, kBlockSize - filling_.size());
        filling_.append(taken);
        rest.remove_prefix(taken.size());
        if (filling_.size() == kBlockSize) {
            hand_over();
        }
    }
    next.write(piece);
}

void BackgroundObserver::finish(Sink&) {
    if (started_) {
        if (!filling_.empty()) {
            hand_over();
        }
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            ended_ = true;
        }
        changed_.notify_all();
        join();
        if (failure_) {
            std::rethrow_exception(failure_);
        }
    }
    for (const auto& observer : observers_) {
        observer->finish(discard_);
    }
}

void BackgroundObserver::abort() noexcept {
    stop();
    for (const auto& observer : observers_) {
        observer->abort();
    }
}

void BackgroundObserver::start() {
    if (threads.fetch_add(1) >= kMaxThreads) {
        threads.fetch_sub(1);
        return;  // enough of them already: this body is seen inline
    }
    // The thread takes no signal: httpd's handlers expect them on its own threads.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    try {
        worker_ = std::thread(&BackgroundObserver::run, this);
        started_ = true;
    } catch (const std::system_error&) {
        // No thread to be had: the observer goes on in the request's.
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    if (started_) {
        filling_.reserve(kBlockSize);
    } else {
        threads.fetch_sub(1);
    }
}

void BackgroundObserver::hand_over() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return queue_.size() < kBlocks || stopping_; });
    queue_.push_back(std::move(filling_));
    if (!spare_.empty()) {
        filling_ = std::move(spare_.back());
        spare_.pop_back();
    } else {
        filling_ = std::string();
        filling_.reserve(kBlockSize);
    }
    lock.unlock();
    changed_.notify_all();
}

void BackgroundObserver::stop() noexcept {
    if (!worker_.joinable()) {
        return;
    }
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    join();
}

void BackgroundObserver::join() noexcept {
    worker_.join();
    threads.fetch_sub(1);
}

void BackgroundObserver::run() noexcept {
    bool failed = false;
    for (;;) {
        std::string block;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [this] { return !queue_.empty() || ended_ || stopping_; });
            if (stopping_ || queue_.empty()) {
                return;
            }
            block = std::move(queue_.front());
            queue_.pop_front();
        }
        changed_.notify_all();
        if (!failed) {
            try {
                see_inline(block);
            } catch (...) {
                failure_ = std::current_exception();  // read by finish() after the join
                failed = true;
            }
        }
        block.clear();
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            spare_.push_back(std::move(block));
        }
    }
}

}  // namespace artifacts
