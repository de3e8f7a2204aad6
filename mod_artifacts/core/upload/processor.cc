#include "processor.h"

namespace artifacts {

ProcessorChain::ProcessorChain(ByteSource& body) : body_(body) {}

ProcessorChain::~ProcessorChain() {
    if (!finished_) {
        for (const auto& processor : processors_) {
            processor->abort();
        }
    }
}

void ProcessorChain::pass(std::size_t index, std::string_view bytes) {
    if (bytes.empty()) {
        return;
    }
    if (index < processors_.size()) {
        processors_[index]->see(bytes, links_[index]);
        return;
    }
    // Bytes of the body's own piece stay valid until the next pull and go on uncopied (the
    // common case: every processor only looks). A transformer's output may be its buffer,
    // reused at its next write: that is copied.
    const bool of_piece = bytes.data() >= piece_.data() && bytes.data() + bytes.size() <= piece_.data() + piece_.size();
    if (!gathered_ && out_view_.empty() && of_piece) {
        out_view_ = bytes;
        return;
    }
    if (!gathered_) {
        out_buffer_.assign(out_view_);
        gathered_ = true;
    }
    out_buffer_.append(bytes);
}

void ProcessorChain::end() {
    ended_ = true;
    for (std::size_t index = 0; index < processors_.size(); ++index) {
        processors_[index]->finish(links_[index]);
    }
}

std::string_view ProcessorChain::next() {
    if (links_.size() != processors_.size()) {
        links_.clear();
        for (std::size_t index = 0; index < processors_.size(); ++index) {
            links_.emplace_back(*this, index);
        }
    }
    out_view_ = {};
    out_buffer_.clear();
    gathered_ = false;
    while (!finished_) {
        if (ended_) {
            for (const auto& processor : processors_) {
                processor->annotate(notes_);
            }
            finished_ = true;
            break;
        }
        piece_ = body_.next();
        if (piece_.empty()) {
            end();  // the tails of transformers are the last output
        } else {
            pass(0, piece_);
        }
        if (gathered_ || !out_view_.empty()) {
            break;
        }
    }
    return gathered_ ? std::string_view(out_buffer_) : out_view_;
}

void ProcessorChain::drain() {
    while (!next().empty()) {
    }
}

}  // namespace artifacts
