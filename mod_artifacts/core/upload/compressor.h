// ArtifactsCompress: a processor that gzip-compresses a plain body on its way into the
// store, so a text log takes a fraction of its size there. The store keeps it as it keeps a
// Content-Encoding: gzip upload (served transparently, "encoding": "gzip" in the manifest).
#pragma once

#include "../codec/gunzip.h"
#include "processor.h"

namespace artifacts {

class GzipCompressor final : public Processor {
public:
    // zlib's fastest level: on CI logs it keeps about seven parts in eight of the saving of
    // the default level at twice its speed (docs/benchmarks.md).
    static constexpr int kLevel = 1;

    GzipCompressor() : encoder_(kLevel, GzipEncoder::Flush::AtEnd) {}
    void see(std::string_view piece, Sink& next) override;
    void finish(Sink& next) override;
    void annotate(ObjectNotes& notes) const override { notes.compressed = true; }

private:
    GzipEncoder encoder_;
};

}  // namespace artifacts
