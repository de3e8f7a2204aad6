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
    if (!gathered_ && out_view_.empty()) {
        out_view_ = bytes;  // valid until the next pull: its writer keeps it until then
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
            finished_ = true;
            break;
        }
        const std::string_view piece = body_.next();
        if (piece.empty()) {
            end();  // the tails of transformers are the last output
        } else {
            pass(0, piece);
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

ObjectNotes ProcessorChain::notes() const {
    ObjectNotes notes;
    for (const auto& processor : processors_) {
        processor->annotate(notes);
    }
    return notes;
}

}  // namespace artifacts
