#include "log_summarizer.h"

namespace artifacts {

LogSummarizer::LogSummarizer() : engine_(HtmlifyOptions{}, discard_, nullptr, LogFormat::Summary) {}

void LogSummarizer::see(std::string_view piece, Sink& next) {
    engine_.feed(piece);
    next.write(piece);
}

void LogSummarizer::finish(Sink&) {
    engine_.finish();
}

void LogSummarizer::annotate(ObjectNotes& notes) const {
    if (const LogSummary* summary = engine_.summary()) {
        notes.summary = *summary;
    }
}

}  // namespace artifacts
