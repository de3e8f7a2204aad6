// ArtifactsCompress: a processor that gzip-compresses a plain body on its way into the
// store, so a text log takes a fraction of its size there. The store keeps it as it keeps a
// Content-Encoding: gzip upload (served transparently, "encoding": "gzip" in the manifest).
//
// The encoder is Intel's ISA-L (igzip), not zlib: at its level 2 it compresses CI logs a
// little better than zlib's fastest level at about eight times its speed (docs/
// benchmarks.md), which is what lets a compressed upload cost no more than a plain one.
#pragma once

#include <memory>

#include "processor.h"

namespace artifacts {

class GzipCompressor final : public Processor {
public:
    GzipCompressor();
    ~GzipCompressor() override;
    void see(std::string_view piece, Sink& next) override;
    void finish(Sink& next) override;
    void annotate(ObjectNotes& notes) const override { notes.compressed = true; }

private:
    void run(std::string_view input, bool end, Sink& next);

    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace artifacts
