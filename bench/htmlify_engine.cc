// The HTMLIFY line engine alone, without httpd: reads a log into memory once, then renders
// it repeatedly into a sink that only counts, and prints MB/s of source log per core.
// Usage: htmlify-engine FILE [ROUNDS] [QUERY]     (QUERY as in ?level=ERROR&grep=x; with
//        format=ndjson the NDJSON feed, with format=summary the count made at upload)
//        htmlify-engine --page FILE [QUERY]       (writes the page to stdout)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "../mod_artifacts/core/htmlify/htmlify.h"
#include "../mod_artifacts/core/http/negotiation.h"

using namespace artifacts;

namespace {

class CountingSink final : public Sink {
public:
    void write(std::string_view bytes) override { bytes_ += bytes.size(); }
    std::size_t bytes() const { return bytes_; }

private:
    std::size_t bytes_ = 0;
};

class StdoutSink final : public Sink {
public:
    void write(std::string_view bytes) override { std::fwrite(bytes.data(), 1, bytes.size(), stdout); }
};

std::string read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "htmlify-engine: cannot read " << path << "\n";
        std::exit(2);
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    return contents.str();
}

// Feeds the log in blocks of the size httpd's file buckets have when mmapped (4 MiB).
void render(const std::string& log, const HtmlifyOptions& options, Sink& sink, LogFormat format = LogFormat::Page) {
    Htmlifier engine(
        options, sink, [](HtmlifyResult, bool) {}, format);
    constexpr std::size_t kBlock = 4 << 20;
    for (std::size_t pos = 0; pos < log.size() && !engine.done(); pos += kBlock) {
        engine.feed(std::string_view(log).substr(pos, kBlock));
    }
    engine.finish();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 3 && std::strcmp(argv[1], "--page") == 0) {
        StdoutSink sink;
        render(read_file(argv[2]), htmlify_options_from_query(argc > 3 ? argv[3] : ""), sink);
        return 0;
    }
    if (argc < 2) {
        std::cerr << "usage: htmlify-engine FILE [ROUNDS] [QUERY] | --page FILE [QUERY]\n";
        return 2;
    }
    const std::string log = read_file(argv[1]);
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    const std::string query = argc > 3 ? argv[3] : "";
    const HtmlifyOptions options = htmlify_options_from_query(query);
    const auto format_word = query_parameter(query, "format");
    const LogFormat format = !format_word                ? LogFormat::Page
                             : *format_word == "ndjson"  ? LogFormat::Ndjson
                             : *format_word == "summary" ? LogFormat::Summary
                                                         : LogFormat::Page;
    double best = 0;
    std::size_t page_bytes = 0;
    for (int round = 0; round < rounds; ++round) {
        CountingSink sink;
        const auto start = std::chrono::steady_clock::now();
        render(log, options, sink, format);
        const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
        best = std::max(best, log.size() / 1e6 / seconds.count());
        page_bytes = sink.bytes();
    }
    std::printf("engine: %.1f MB of log -> %.1f MB of page, best of %d: %.0f MB/s per core\n", log.size() / 1e6,
                page_bytes / 1e6, rounds, best);
    return 0;
}
