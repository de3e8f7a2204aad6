#include "parallel_upload.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "../core/codec/escape.h"

namespace artifacts::tools {

// One file's upload, across its attempts.
struct Job {
    const LocalFile* file = nullptr;
    bool gzip = false;
    std::string sha_ahead;  // X-Artifact-Sha256 of an uncompressed body
    std::unique_ptr<UploadBody> body;
    int attempts = 0;
    std::chrono::steady_clock::time_point not_before;
    std::string response;
    char error[CURL_ERROR_SIZE] = {};
    curl_slist* headers = nullptr;
    CURL* easy = nullptr;
};

namespace {

std::size_t read_body(char* out, std::size_t size, std::size_t count, void* data) {
    try {
        Job* job = static_cast<Job*>(data);
        return job->body ? job->body->read(out, size * count) : 0;  // a directory has no body
    } catch (const std::exception&) {
        return CURL_READFUNC_ABORT;
    }
}

int seek_body(void* data, curl_off_t offset, int origin) {
    if (offset != 0 || origin != SEEK_SET) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    if (Job* job = static_cast<Job*>(data); job->body) {
        job->body->rewind();
    }
    return CURL_SEEKFUNC_OK;
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

}  // namespace

std::size_t keep_response(char* data, std::size_t size, std::size_t count, void* target) {
    auto* response = static_cast<std::string*>(target);
    if (response->size() < 1024 * 1024) {
        response->append(data, size * count);
    }
    return size * count;
}

std::string describe_failure(long status, CURLcode result, const std::string& response, const char* curl_error) {
    if (result != CURLE_OK) {
        return curl_error != nullptr && curl_error[0] != '\0' ? curl_error : curl_easy_strerror(result);
    }
    const auto reply = nlohmann::json::parse(response, nullptr, false);
    if (reply.is_object() && reply.contains("error") && reply.contains("message") && reply["message"].is_string()) {
        return std::to_string(status) + " " + reply["error"].dump() + ": " + reply["message"].get<std::string>();
    }
    return "HTTP " + std::to_string(status);
}

Uploader::Uploader(const Options& options) : options_(options), multi_(curl_multi_init()) {
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(options.parallel));
    authorization_ = "Authorization: Bearer " + options.token;
}

Uploader::~Uploader() {
    curl_multi_cleanup(multi_);
}

std::size_t Uploader::run(const Tree& tree) {
    jobs_.resize(tree.files.size());
    for (std::size_t i = 0; i < tree.files.size(); ++i) {
        jobs_[i].file = &tree.files[i];
        jobs_[i].gzip = options_.gzip && !tree.files[i].directory && worth_compressing(tree.files[i].relative);
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

int Uploader::poll_timeout_ms() const {
    int timeout = 200;
    const auto now = Clock::now();
    for (const Job* job : waiting_) {
        const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(job->not_before - now).count();
        timeout = std::min<int>(timeout, static_cast<int>(std::max<long long>(until, 0)));
    }
    return timeout;
}

void Uploader::start_due() {
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

void Uploader::start(Job& job) {
    if (job.file->directory) {
        // PUT dir/ with an empty body makes the directory.
    } else if (!job.body) {
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
    } else if (!job.file->directory) {
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

void Uploader::finish_handle(Job& job) {
    curl_multi_remove_handle(multi_, job.easy);
    curl_easy_cleanup(job.easy);
    job.easy = nullptr;
    curl_slist_free_all(job.headers);
    job.headers = nullptr;
    --active_;
}

void Uploader::collect_finished() {
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

void Uploader::settle(Job& job, long status, CURLcode result, curl_off_t retry_after) {
    if (result == CURLE_OK && (status == 200 || status == 201)) {
        const auto reply = nlohmann::json::parse(job.response, nullptr, false);
        if (job.file->directory) {
            if (!reply.is_object() || reply.value("type", "") != "directory") {
                fail(job, "the server did not make the directory (does it take a PUT of a path ending with '/'?)");
                return;
            }
            ++(status == 201 ? stored_ : identical_);
            return;
        }
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
    const std::string why = describe_failure(status, result, job.response, job.error);
    if (worth_retrying(status, result) && job.attempts < options_.retries) {
        thread_local std::mt19937 jitter{std::random_device{}()};
        const double base = std::min(30.0, 0.5 * (1 << std::min(job.attempts - 1, 10)));
        const double delay =
            std::max(base * std::uniform_real_distribution<double>(0.5, 1.0)(jitter), static_cast<double>(retry_after));
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

void Uploader::fail(Job& job, const std::string& why) {
    ++failed_;
    sent_bytes_ += job.file->size;
    job.body.reset();
    clear_progress_line();
    std::fprintf(stderr, "artifacts-upload: FAILED %s: %s\n", job.file->relative.c_str(), why.c_str());
}

void Uploader::clear_progress_line() {
    if (bar_shown_) {
        std::fprintf(stderr, "\r\033[K");
        bar_shown_ = false;
    }
}

void Uploader::report_progress(bool final) {
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

}  // namespace artifacts::tools
