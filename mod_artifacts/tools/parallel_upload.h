// The transfers of artifacts-upload: every file of a tree PUT over N parallel connections
// (libcurl multi), each retried with exponential back-off and jitter on 5xx answers, 408,
// 429 and connection errors, its checksum compared with the one the server answers.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "upload_body.h"
#include "upload_tree.h"

namespace artifacts::tools {

struct Options {  // from the command line
    std::string url;
    std::vector<std::string> roots;
    std::string token;
    int parallel = 4;
    bool gzip = false;
    bool seal = false;
    int retries = 5;
    bool quiet = false;
};

struct Job;

class Uploader {
public:
    explicit Uploader(const Options& options);
    ~Uploader();
    Uploader(const Uploader&) = delete;
    Uploader& operator=(const Uploader&) = delete;

    // Uploads every file; returns how many could not be stored (each already reported).
    std::size_t run(const Tree& tree);
    std::size_t stored() const { return stored_; }
    std::size_t identical() const { return identical_; }

private:
    using Clock = std::chrono::steady_clock;
    int poll_timeout_ms() const;
    void start_due();
    void start(Job& job);
    void finish_handle(Job& job);
    void collect_finished();
    void settle(Job& job, long status, CURLcode result, curl_off_t retry_after);
    void fail(Job& job, const std::string& why);
    void clear_progress_line();
    void report_progress(bool final);

    const Options& options_;
    CURLM* multi_;
    std::string authorization_;
    std::vector<Job> jobs_;
    std::deque<Job*> ready_;
    std::vector<Job*> waiting_;
    int active_ = 0;
    std::size_t stored_ = 0;
    std::size_t identical_ = 0;
    std::size_t failed_ = 0;
    std::uint64_t sent_bytes_ = 0;
    std::uint64_t total_bytes_ = 0;
    Clock::time_point started_;
    Clock::time_point last_report_;
    bool bar_shown_ = false;
};

// libcurl write callback that keeps up to 1 MiB of a reply in the std::string `target`.
std::size_t keep_response(char* data, std::size_t size, std::size_t count, void* target);

// The error a server sent ("409 \"exists\": ..."), or what curl says.
std::string describe_failure(long status, CURLcode result, const std::string& response, const char* curl_error);

}  // namespace artifacts::tools
