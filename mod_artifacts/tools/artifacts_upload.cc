// artifacts-upload: uploads directory trees below a URL with a mod_artifacts token, over
// N parallel connections (libcurl multi), retrying 5xx answers and connection errors with
// exponential back-off (safe: an identical re-upload answers 200), optionally gzipping
// text files on the fly and sealing the scope at the end.
//   artifacts-upload [--parallel N] [--gzip] [--seal] [--retries N] [--token T | --token-file F] URL DIR...
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../core/escape.h"
#include "../core/token.h"
#include "upload_body.h"
#include "upload_tree.h"

using namespace artifacts;
using namespace artifacts::tools;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kUsage =
    "usage: artifacts-upload [options] URL DIR|FILE...\n"
    "  Uploads the contents of each DIR (and each FILE by its name) below URL.\n"
    "  --token TOKEN        the upload token (default: $ARTIFACTS_TOKEN)\n"
    "  --token-file FILE    read the token from FILE\n"
    "  --parallel N         connections at once (default 4, at most 64)\n"
    "  --gzip               compress text files on the fly (stored as name.gz, served as name)\n"
    "  --seal               seal the token's scope (URL) when every file is stored\n"
    "  --retries N          attempts per file on 5xx or connection errors (default 5)\n"
    "  --quiet              no progress output\n";

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Options {
    std::string url;
    std::vector<std::string> roots;
    std::string token;
    int parallel = 4;
    bool gzip = false;
    bool seal = false;
    int retries = 5;
    bool quiet = false;
};

std::string read_token_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw UsageError("cannot read token file '" + path + "'");
    }
    std::stringstream content;
    content << in.rdbuf();
    return std::string(key_file_secret(content.str()));
}

int positive(const std::string& option, const std::string& value, int maximum) {
    try {
        const int parsed = std::stoi(value);
        if (parsed >= 1 && parsed <= maximum) {
            return parsed;
        }
    } catch (const std::exception&) {
    }
    throw UsageError(option + " takes a number from 1 to " + std::to_string(maximum));
}

Options parse(int argc, char** argv) {
    Options options;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                throw UsageError(arg + " needs a value");
            }
            return argv[++i];
        };
        if (arg == "--token") {
            options.token = value();
        } else if (arg == "--token-file") {
            options.token = read_token_file(value());
        } else if (arg == "--parallel") {
            options.parallel = positive(arg, value(), 64);
        } else if (arg == "--retries") {
            options.retries = positive(arg, value(), 100);
        } else if (arg == "--gzip") {
            options.gzip = true;
        } else if (arg == "--seal") {
            options.seal = true;
        } else if (arg == "--quiet") {
            options.quiet = true;
        } else if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            std::exit(0);
        } else if (arg.rfind("--", 0) == 0) {
            throw UsageError("unknown option " + arg);
        } else {
            positional.push_back(arg);
        }
    }
    if (options.token.empty()) {
        if (const char* from_environment = std::getenv("ARTIFACTS_TOKEN")) {
            options.token = key_file_secret(from_environment);
        }
    }
    if (options.token.empty()) {
        throw UsageError("no token: give --token, --token-file or set ARTIFACTS_TOKEN");
    }
    if (positional.size() < 2) {
        throw UsageError("give the URL and at least one directory");
    }
    options.url = positional[0];
    if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0) {
        throw UsageError("the URL must start with http:// or https://");
    }
    if (options.url.back() != '/') {
        options.url.push_back('/');
    }
    options.roots.assign(positional.begin() + 1, positional.end());
    return options;
}

// One file's upload, across its attempts.
struct Job {
    const LocalFile* file = nullptr;
    bool gzip = false;
    std::string sha_ahead;  // X-Artifact-Sha256 of an uncompressed body
    std::unique_ptr<UploadBody> body;
    int attempts = 0;
    Clock::time_point not_before;
    std::string response;
    char error[CURL_ERROR_SIZE] = {};
    curl_slist* headers = nullptr;
    CURL* easy = nullptr;
};

std::size_t read_body(char* out, std::size_t size, std::size_t count, void* data) {
    try {
        return static_cast<Job*>(data)->body->read(out, size * count);
    } catch (const std::exception&) {
        return CURL_READFUNC_ABORT;
    }
}

int seek_body(void* data, curl_off_t offset, int origin) {
    if (offset != 0 || origin != SEEK_SET) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    static_cast<Job*>(data)->body->rewind();
    return CURL_SEEKFUNC_OK;
}

std::size_t keep_response(char* data, std::size_t size, std::size_t count, void* target) {
    auto* response = static_cast<std::string*>(target);
    if (response->size() < 1024 * 1024) {
        response->append(data, size * count);
    }
    return size * count;
}

std::string encoded(const std::string& relative) {
    std::string out;
    append_url_encoded_path(out, relative);
    return out;
}

std::string human_bytes(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

// The error a server sent ("409 exists: ..."), or what curl says.
std::string describe_failure(long status, CURLcode result, const Job& job) {
    if (result != CURLE_OK) {
        return job.error[0] != '\0' ? job.error : curl_easy_strerror(result);
    }
    const auto reply = nlohmann::json::parse(job.response, nullptr, false);
    if (reply.is_object() && reply.contains("error") && reply.contains("message") && reply["message"].is_string()) {
        return std::to_string(status) + " " + reply["error"].dump() + ": " + reply["message"].get<std::string>();
    }
    return "HTTP " + std::to_string(status);
}

bool worth_retrying(long status, CURLcode result) {
    switch (result) {
    case CURLE_OK: break;
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return false;
    default: return true;
    }
    return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505 && status != 507);
}

class Uploader {
public:
    explicit Uploader(const Options& options) : options_(options), multi_(curl_multi_init()) {
        curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.parallel));
        authorization_ = "Authorization: Bearer " + options.token;
    }
    ~Uploader() { curl_multi_cleanup(multi_); }

    // Returns the number of files that could not be stored.
    std::size_t run(const Tree& tree) {
        jobs_.resize(tree.files.size());
        for (std::size_t i = 0; i < tree.files.size(); ++i) {
            jobs_[i].file = &tree.files[i];
            jobs_[i].gzip = options_.gzip && worth_compressing(tree.files[i].relative);
            ready_.push_back(&jobs_[i]);
        }
        total_bytes_ = tree.total_bytes;
        started_ = Clock::now();
        while (!ready_.empty() || !waiting_.empty() || active_ > 0) {
            start_due();
            int running = 0;
            curl_multi_perform(multi_, &running);
            collect_finished();
            report_progress(false);
            if (active_ > 0 || !waiting_.empty()) {
                curl_multi_poll(multi_, nullptr, 0, poll_timeout_ms(), nullptr);
            }
        }
        report_progress(true);
        return failed_;
    }

    std::size_t stored() const { return stored_; }
    std::size_t identical() const { return identical_; }

private:
    int poll_timeout_ms() const {
        int timeout = 200;
        const auto now = Clock::now();
        for (const Job* job : waiting_) {
            const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(job->not_before - now).count();
            timeout = std::min<int>(timeout, static_cast<int>(std::max<long long>(until, 0)));
        }
        return timeout;
    }

    void start_due() {
        const auto now = Clock::now();
        for (auto it = waiting_.begin(); it != waiting_.end();) {
            if ((*it)->not_before <= now) {
                ready_.push_back(*it);
                it = waiting_.erase(it);
            } else {
                ++it;
            }
        }
        while (active_ < options_.parallel && !ready_.empty()) {
            Job* job = ready_.front();
            ready_.pop_front();
            try {
                start(*job);
            } catch (const std::exception& e) {
                fail(*job, e.what());
            }
        }
    }

    void start(Job& job) {
        if (!job.body) {
            job.body = std::make_unique<UploadBody>(job.file->path, job.gzip);
            if (!job.gzip) {
                job.sha_ahead = file_sha256(job.file->path);
            }
        } else {
            job.body->rewind();
        }
        ++job.attempts;
        job.response.clear();
        job.error[0] = '\0';
        job.headers = curl_slist_append(nullptr, authorization_.c_str());
        if (job.gzip) {
            job.headers = curl_slist_append(job.headers, "Content-Encoding: gzip");
        } else {
            job.headers = curl_slist_append(job.headers, ("X-Artifact-Sha256: " + job.sha_ahead).c_str());
        }
        CURL* easy = curl_easy_init();
        job.easy = easy;
        curl_easy_setopt(easy, CURLOPT_URL, (options_.url + encoded(job.file->relative)).c_str());
        curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(easy, CURLOPT_READDATA, &job);
        curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, seek_body);
        curl_easy_setopt(easy, CURLOPT_SEEKDATA, &job);
        if (!job.gzip) {
            curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(job.file->size));
        }
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, job.headers);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, keep_response);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &job.response);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job.error);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, &job);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 120L);
        curl_easy_setopt(easy, CURLOPT_USERAGENT, "artifacts-upload/" PACKAGE_VERSION);
        curl_multi_add_handle(multi_, easy);
        ++active_;
    }

    void finish_handle(Job& job) {
        curl_multi_remove_handle(multi_, job.easy);
        curl_easy_cleanup(job.easy);
        job.easy = nullptr;
        curl_slist_free_all(job.headers);
        job.headers = nullptr;
        --active_;
    }

    void collect_finished() {
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
            if (message->msg != CURLMSG_DONE) {
                continue;
            }
            Job* job = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &job);
            long status = 0;
            curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_off_t retry_after = 0;
            curl_easy_getinfo(message->easy_handle, CURLINFO_RETRY_AFTER, &retry_after);
            const CURLcode result = message->data.result;
            finish_handle(*job);
            settle(*job, status, result, retry_after);
        }
    }

    void settle(Job& job, long status, CURLcode result, curl_off_t retry_after) {
        if (result == CURLE_OK && (status == 200 || status == 201)) {
            const auto reply = nlohmann::json::parse(job.response, nullptr, false);
            const std::string sent = job.body->sha256_hex();
            if (!reply.is_object() || !reply.contains("sha256") || reply["sha256"] != sent) {
                fail(job, "the server stored other bytes than were sent (sha256 " + sent + ")");
                return;
            }
            sent_bytes_ += job.file->size;
            ++(status == 201 ? stored_ : identical_);
            job.body.reset();
            return;
        }
        const std::string why = describe_failure(status, result, job);
        if (worth_retrying(status, result) && job.attempts < options_.retries) {
            thread_local std::mt19937 jitter{std::random_device{}()};
            const double base = std::min(30.0, 0.5 * (1 << std::min(job.attempts - 1, 10)));
            const double delay = std::max(base * std::uniform_real_distribution<double>(0.5, 1.0)(jitter),
                                          static_cast<double>(retry_after));
            job.not_before = Clock::now() + std::chrono::milliseconds(static_cast<long long>(delay * 1000));
            waiting_.push_back(&job);
            if (!options_.quiet) {
                clear_progress_line();
                std::fprintf(stderr, "artifacts-upload: %s: %s; retrying in %.1f s (attempt %d of %d)\n",
                             job.file->relative.c_str(), why.c_str(), delay, job.attempts + 1, options_.retries);
            }
            return;
        }
        fail(job, job.attempts > 1 ? why + " (after " + std::to_string(job.attempts) + " attempts)" : why);
    }

    void fail(Job& job, const std::string& why) {
        ++failed_;
        sent_bytes_ += job.file->size;
        job.body.reset();
        clear_progress_line();
        std::fprintf(stderr, "artifacts-upload: FAILED %s: %s\n", job.file->relative.c_str(), why.c_str());
    }

    void clear_progress_line() {
        if (bar_shown_) {
            std::fprintf(stderr, "\r\033[K");
            bar_shown_ = false;
        }
    }

    void report_progress(bool final) {
        if (options_.quiet) {
            return;
        }
        const auto now = Clock::now();
        const bool terminal = isatty(STDERR_FILENO) != 0;
        const auto interval = terminal ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
        if (!final && now - last_report_ < interval) {
            return;
        }
        last_report_ = now;
        const std::size_t done = stored_ + identical_ + failed_;
        const double seconds = std::chrono::duration<double>(now - started_).count();
        const std::string rate = human_bytes(seconds > 0 ? static_cast<double>(sent_bytes_) / seconds : 0) + "/s";
        if (terminal) {
            const double fraction = jobs_.empty() ? 1.0 : static_cast<double>(done) / static_cast<double>(jobs_.size());
            const int width = 30;
            const int filled = static_cast<int>(fraction * width);
            std::fprintf(stderr, "\r[%s%s] %zu/%zu files, %s of %s, %s\033[K", std::string(filled, '#').c_str(),
                         std::string(width - filled, '.').c_str(), done, jobs_.size(),
                         human_bytes(static_cast<double>(sent_bytes_)).c_str(),
                         human_bytes(static_cast<double>(total_bytes_)).c_str(), rate.c_str());
            bar_shown_ = true;
            if (final) {
                std::fprintf(stderr, "\n");
                bar_shown_ = false;
            }
        } else {
            std::fprintf(stderr, "artifacts-upload: %zu/%zu files, %s of %s, %s\n", done, jobs_.size(),
                         human_bytes(static_cast<double>(sent_bytes_)).c_str(),
                         human_bytes(static_cast<double>(total_bytes_)).c_str(), rate.c_str());
        }
    }

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

// POST URL?seal; returns an error sentence, or "" when sealed.
std::string seal(const Options& options) {
    CURL* easy = curl_easy_init();
    std::string response;
    char error[CURL_ERROR_SIZE] = {};
    const std::string authorization = "Authorization: Bearer " + options.token;
    curl_slist* headers = curl_slist_append(nullptr, authorization.c_str());
    curl_easy_setopt(easy, CURLOPT_URL, (options.url + "?seal").c_str());
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, keep_response);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error);
    const CURLcode result = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
    if (result == CURLE_OK && status == 200) {
        return "";
    }
    Job view;
    view.response = response;
    std::memcpy(view.error, error, sizeof error);
    return describe_failure(status, result, view);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Options options = parse(argc, argv);
        const Tree tree = collect_tree(options.roots);
        for (const std::string& skipped : tree.skipped) {
            std::fprintf(stderr, "artifacts-upload: skipping %s (not a regular file)\n", skipped.c_str());
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);
        std::size_t failed = 0;
        std::size_t stored = 0;
        std::size_t identical = 0;
        {
            Uploader uploader(options);
            failed = uploader.run(tree);
            stored = uploader.stored();
            identical = uploader.identical();
        }
        if (!options.quiet) {
            std::fprintf(stderr, "artifacts-upload: %zu stored, %zu already there, %zu failed\n", stored, identical,
                         failed);
        }
        if (failed > 0) {
            std::fprintf(stderr, "artifacts-upload: %zu of %zu files failed%s\n", failed, tree.files.size(),
                         options.seal ? "; not sealing" : "");
            curl_global_cleanup();
            return 1;
        }
        if (options.seal) {
            const std::string problem = seal(options);
            if (!problem.empty()) {
                std::fprintf(stderr, "artifacts-upload: sealing %s failed: %s\n", options.url.c_str(), problem.c_str());
                curl_global_cleanup();
                return 1;
            }
        }
        curl_global_cleanup();
        std::printf("%s\n", options.url.c_str());
        return 0;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "artifacts-upload: %s\n%s", e.what(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "artifacts-upload: %s\n", e.what());
        return 1;
    }
}
