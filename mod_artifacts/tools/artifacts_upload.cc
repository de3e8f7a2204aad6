// artifacts-upload: uploads directory trees below a URL with a mod_artifacts token, over
// N parallel connections (libcurl multi), retrying 5xx answers and connection errors with
// exponential back-off (safe: an identical re-upload answers 200), optionally gzipping
// text files on the fly and sealing the scope at the end.
//   artifacts-upload [--parallel N] [--gzip] [--seal] [--retries N] [--token T | --token-file F] URL DIR...
#include <curl/curl.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "../core/token/token.h"
#include "../backends/secret_file.h"
#include "command_line.h"
#include "parallel_upload.h"
#include "upload_tree.h"

using namespace artifacts;
using namespace artifacts::tools;

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

std::string read_token_file(const std::string& path) {
    auto token = read_secret_file(path);
    if (!token) {
        throw UsageError("cannot read token file '" + path + "'");
    }
    return *token;
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
    return describe_failure(status, result, response, error);
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
