// A processor that reads a log as it is uploaded, with the HTMLIFY engine (gzip bodies
// decoded, HTML files left alone), and notes its summary for the store: lines per level and
// the first ERROR and CRITICAL line. It only looks: the bytes go on unchanged.
#pragma once

#include "../htmlify/htmlify.h"
#include "processor.h"

namespace artifacts {

class LogSummarizer final : public Processor {
public:
    LogSummarizer();
    void see(std::string_view piece, Sink& next) override;
    void finish(Sink& next) override;
    void annotate(ObjectNotes& notes) const override;
    bool observes_only() const override { return true; }

private:
    class Discard final : public Sink {
    public:
        void write(std::string_view) override {}
    };
    Discard discard_;
    Htmlifier engine_;
};

}  // namespace artifacts
