#include "swift_client.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include "../core/codec/digest.h"
#include "../core/codec/escape.h"
#include "../core/codec/key_values.h"
#include "../core/index/swift_listing.h"
#include "../core/store/swift_naming.h"
#include "secret_file.h"

namespace artifacts {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A cached token is renewed this long before Swift or Keystone says it expires.
constexpr auto kExpiryMargin = std::chrono::seconds(60);
constexpr auto kDefaultTokenLife = std::chrono::hours(1);

std::string read_secret(const std::string& path, std::string& error) {
    const std::optional<std::string> secret = read_secret_file(path);
    if (!secret) {
        error = "cannot read '" + path + "': " + std::strerror(errno);
    } else if (secret->empty()) {
        error = "'" + path + "' is empty";
    }
    return secret.value_or("");
}

bool is_http_url(std::string_view url) {
    return url.substr(0, 7) == "http://" || url.substr(0, 8) == "https://";
}

// "http://host:port/v1/AUTH_x" -> "/v1/AUTH_x".
std::string_view path_of_url(std::string_view url) {
    const std::size_t scheme = url.find("://");
    const std::size_t slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    return slash == std::string_view::npos ? std::string_view() : url.substr(slash);
}

void set_header(HttpHeaders& headers, const std::string& name, std::string value) {
    for (auto& header : headers) {
        if (strcasecmp(header.first.c_str(), name.c_str()) == 0) {
            header.second = std::move(value);
            return;
        }
    }
    headers.emplace_back(name, std::move(value));
}

std::string unquoted(std::string text) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        return text.substr(1, text.size() - 2);
    }
    return text;
}

std::string object_path(std::string_view container, std::string_view object) {
    return swift_object_path("", container, object);
}

}  // namespace

std::string parse_swift_settings(const std::vector<std::string>& arguments, SwiftSettings& out) {
    if (arguments.size() < 3) {
        return "takes the auth version (v1 or v3), the auth URL, the user and key=value settings";
    }
    SwiftSettings settings;
    if (arguments[0] == "v1" || arguments[0] == "1.0") {
        settings.auth = SwiftSettings::Auth::V1;
    } else if (arguments[0] == "v3" || arguments[0] == "3") {
        settings.auth = SwiftSettings::Auth::V3;
    } else {
        return "the auth version must be v1 (tempauth) or v3 (Keystone), not '" + arguments[0] + "'";
    }
    settings.auth_url = arguments[1];
    if (!is_http_url(settings.auth_url)) {
        return "the auth URL must start with http:// or https://, not '" + settings.auth_url + "'";
    }
    while (!settings.auth_url.empty() && settings.auth_url.back() == '/') {
        settings.auth_url.pop_back();
    }
    settings.user = arguments[2];
    // Apache has already split and unquoted the arguments: each is one key=value.
    KeyValues values;
    for (std::size_t i = 3; i < arguments.size(); ++i) {
        const std::size_t equals = arguments[i].find('=');
        if (equals == std::string::npos || equals == 0) {
            return "'" + arguments[i] + "' is not key=value";
        }
        std::string key = arguments[i].substr(0, equals);
        if (values.find(key) != nullptr) {
            return "'" + key + "' is given twice";
        }
        values.pairs.emplace_back(std::move(key), arguments[i].substr(equals + 1));
    }
    std::string error;
    for (const auto& [key, value] : values.pairs) {
        if (key == "key-file" || key == "password-file") {
            settings.password = read_secret(value, error);
        } else if (key == "temp-url-key-file") {
            settings.temp_url_key = read_secret(value, error);
        } else if (key == "project") {
            settings.project = value;
        } else if (key == "user-domain") {
            settings.user_domain = value;
        } else if (key == "project-domain") {
            settings.project_domain = value;
        } else if (key == "region") {
            settings.region = value;
        } else if (key == "interface") {
            settings.interface = value;
        } else if (key == "listing-page") {
            char* end = nullptr;
            const unsigned long names = std::strtoul(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || names < 1 || names > 10000) {
                return "listing-page takes a number of names from 1 to 10000, not '" + value + "'";
            }
            settings.listing_page = static_cast<unsigned>(names);
        } else if (key == "storage-url") {
            if (!is_http_url(value)) {
                return "storage-url must start with http:// or https://";
            }
            settings.storage_url = value;
        } else if (key == "key" || key == "password") {
            return "give the secret in a file (" + key + "-file=PATH), never in the configuration";
        } else {
            return "unknown setting '" + key +
                   "' (key-file, password-file, project, user-domain, project-domain, region, interface, "
                   "storage-url, temp-url-key-file, listing-page)";
        }
        if (!error.empty()) {
            return error;
        }
    }
    if (settings.password.empty()) {
        return "key-file= (v1) or password-file= (v3) is required";
    }
    if (settings.auth == SwiftSettings::Auth::V3 && settings.project.empty()) {
        return "v3 needs project=";
    }
    out = std::move(settings);
    return "";
}

std::string object_store_endpoint(std::string_view token_json, std::string_view region, std::string_view interface) {
    const json document = json::parse(token_json.begin(), token_json.end(), nullptr, false);
    if (!document.is_object() || !document.contains("token")) {
        return "";
    }
    const json& catalog = document["token"].value("catalog", json::array());
    for (const json& service : catalog) {
        if (!service.is_object() || service.value("type", "") != "object-store") {
            continue;
        }
        for (const json& endpoint : service.value("endpoints", json::array())) {
            if (!endpoint.is_object() || endpoint.value("interface", "") != interface) {
                continue;
            }
            if (!region.empty() && endpoint.value("region_id", endpoint.value("region", "")) != region) {
                continue;
            }
            return endpoint.value("url", "");
        }
    }
    return "";
}

SwiftClient::SwiftClient(SwiftSettings settings) : settings_(std::move(settings)) {}

SwiftClient::Credentials SwiftClient::authenticate() {
    HttpRequest request;
    request.connect_timeout_ms = settings_.connect_timeout_ms;
    request.stall_timeout_s = 10;
    Credentials credentials;
    std::chrono::seconds life = kDefaultTokenLife;
    if (settings_.auth == SwiftSettings::Auth::V1) {
        request.url = settings_.auth_url;
        request.headers = {{"X-Auth-User", settings_.user}, {"X-Auth-Key", settings_.password}};
        const HttpResponse response = curl_.perform(request);
        const std::string* token = response.header("X-Auth-Token");
        const std::string* storage = response.header("X-Storage-Url");
        if (response.status >= 300 || token == nullptr || storage == nullptr) {
            throw HttpUnavailable("Swift authentication (v1) answered " + std::to_string(response.status));
        }
        credentials.token = *token;
        credentials.storage_url = *storage;
        if (const std::string* expires = response.header("X-Auth-Token-Expires")) {
            life = std::chrono::seconds(std::atol(expires->c_str()));
        }
    } else {
        request.method = "POST";
        request.url = settings_.auth_url + "/auth/tokens";
        request.headers = {{"Content-Type", "application/json"}};
        const json body = {
            {"auth",
             {{"identity",
               {{"methods", {"password"}},
                {"password",
                 {{"user",
                   {{"name", settings_.user},
                    {"domain", {{"name", settings_.user_domain}}},
                    {"password", settings_.password}}}}}}},
              {"scope",
               {{"project", {{"name", settings_.project}, {"domain", {{"name", settings_.project_domain}}}}}}}}}};
        request.body = body.dump();
        const HttpResponse response = curl_.perform(request);
        const std::string* token = response.header("X-Subject-Token");
        if (response.status != 201 || token == nullptr) {
            throw HttpUnavailable("Keystone v3 authentication answered " + std::to_string(response.status));
        }
        credentials.token = *token;
        credentials.storage_url = object_store_endpoint(response.body, settings_.region, settings_.interface);
        const json document = json::parse(response.body, nullptr, false);
        if (document.is_object() && document.contains("token") && document["token"].contains("expires_at")) {
            const std::string expires_at = document["token"].value("expires_at", "");
            const std::int64_t expires = parse_swift_time(expires_at);
            const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
            if (expires > now) {
                life = std::chrono::seconds(expires - now);
            }
        }
        if (credentials.storage_url.empty() && settings_.storage_url.empty()) {
            throw HttpUnavailable("the Keystone catalog has no object-store endpoint for interface '" +
                                  settings_.interface + "'");
        }
    }
    if (!settings_.storage_url.empty()) {
        credentials.storage_url = settings_.storage_url;
    }
    while (!credentials.storage_url.empty() && credentials.storage_url.back() == '/') {
        credentials.storage_url.pop_back();
    }
    credentials.issued = std::chrono::system_clock::now();
    credentials.expires = Clock::now() + std::max<Clock::duration>(life - kExpiryMargin, std::chrono::seconds(1));
    return credentials;
}

SwiftClient::Credentials SwiftClient::credentials() {
    // One thread authenticates; the others wait for its token instead of asking too.
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!cached_ || Clock::now() >= cached_->expires) {
        cached_ = authenticate();
    }
    return *cached_;
}

void SwiftClient::forget(const std::string& token) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ && cached_->token == token) {
        cached_.reset();
    }
}

HttpResponse SwiftClient::send(HttpRequest& request, const std::string& path_and_query) {
    request.connect_timeout_ms = settings_.connect_timeout_ms;
    const auto on_head = request.on_head;
    // A Fernet token carries its issue time in whole seconds, and Keystone takes a token
    // issued in the second of a revocation (a password change, a user disabled and enabled)
    // as revoked too. So when the token renewed after a 401 is refused as well, the module
    // waits for the next second and asks once more: at most three attempts, one second's wait.
    const int attempts = settings_.auth == SwiftSettings::Auth::V3 ? 3 : 2;
    for (int attempt = 0;; ++attempt) {
        const Credentials current = credentials();
        request.url = current.storage_url + path_and_query;
        set_header(request.headers, "X-Auth-Token", current.token);
        const bool may_retry = attempt + 1 < attempts;
        request.on_head = [&on_head, may_retry](const HttpResponse& response) {
            if (on_head && !(may_retry && response.status == 401) && response.status < 500) {
                on_head(response);
            }
        };
        bool body_started = false;
        HttpResponse response = curl_.perform(request, &body_started);
        if (response.status == 401) {
            // A refused token is never used again, whether or not this request may retry.
            forget(current.token);
            if (!may_retry || body_started) {
                throw HttpUnavailable("Swift refused the module's token " + std::to_string(attempt + 1) + " times");
            }
            if (attempt == 1) {
                const auto second = std::chrono::floor<std::chrono::seconds>(current.issued);
                std::this_thread::sleep_until(second + std::chrono::milliseconds(1050));
            }
            continue;
        }
        if (response.status >= 500) {
            throw HttpUnavailable("Swift answered " + std::to_string(response.status));
        }
        return response;
    }
}

HttpResponse SwiftClient::fetch(bool head_only, std::string_view container, std::string_view object,
                                const HttpHeaders& request_headers,
                                const std::function<void(const HttpResponse&)>& on_head,
                                const std::function<bool(std::string_view)>& on_body) {
    HttpRequest request;
    request.method = head_only ? "HEAD" : "GET";
    request.headers = request_headers;
    request.on_head = on_head;
    request.on_body = on_body;
    return send(request, object_path(container, object));
}

void SwiftClient::create_container(std::string_view container) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (known_containers_.count(std::string(container)) != 0) {
            return;
        }
    }
    HttpRequest request;
    request.method = "PUT";
    std::string path = "/";
    append_url_encoded_segment(path, container);
    const HttpResponse response = send(request, path);
    if (response.status != 201 && response.status != 202 && response.status != 204) {
        throw SwiftError("creating container '" + std::string(container) + "' answered " +
                         std::to_string(response.status));
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    known_containers_.insert(std::string(container));
}

std::string SwiftClient::put(std::string_view container, std::string_view object, const HttpHeaders& headers,
                             const std::function<std::size_t(char*, std::size_t)>& read_body, std::int64_t size) {
    create_container(container);
    Md5 md5;
    HttpRequest request;
    request.method = "PUT";
    request.headers = headers;
    // Swift answers a refused token before the body: nothing is sent twice.
    request.headers.emplace_back("Expect", "100-continue");
    request.body_size = size;
    request.read_body = [&](char* buffer, std::size_t capacity) {
        const std::size_t n = read_body(buffer, capacity);
        md5.update(std::string_view(buffer, n));
        return n;
    };
    const HttpResponse response = send(request, object_path(container, object));
    if (response.status == 404) {
        const std::lock_guard<std::mutex> lock(mutex_);
        known_containers_.erase(std::string(container));
    }
    if (response.status != 201) {
        throw SwiftError("PUT of '" + std::string(object) + "' answered " + std::to_string(response.status));
    }
    const std::string* etag = response.header("Etag");
    const std::string sent = md5.hex_digest();
    if (etag == nullptr || unquoted(*etag) != sent) {
        remove(container, object);
        throw SwiftError("Swift's ETag for '" + std::string(object) + "' is not the MD5 of the bytes sent");
    }
    return sent;
}

void SwiftClient::remove(std::string_view container, std::string_view object) {
    HttpRequest request;
    request.method = "DELETE";
    const HttpResponse response = send(request, object_path(container, object));
    if (response.status != 204 && response.status != 404 && response.status != 200) {
        throw SwiftError("DELETE of '" + std::string(object) + "' answered " + std::to_string(response.status));
    }
}

std::string SwiftClient::list(std::string_view container, std::string_view prefix, std::string_view delimiter,
                              std::string_view marker, unsigned limit) {
    std::string path = "/";
    append_url_encoded_segment(path, container);
    path += "?format=json&limit=" + std::to_string(limit) + "&prefix=";
    append_url_encoded_segment(path, prefix);
    if (!delimiter.empty()) {
        path += "&delimiter=";
        append_url_encoded_segment(path, delimiter);
    }
    if (!marker.empty()) {
        path += "&marker=";
        append_url_encoded_segment(path, marker);
    }
    HttpRequest request;
    std::string body;
    request.on_body = [&body](std::string_view piece) {
        body.append(piece);
        return true;
    };
    const HttpResponse response = send(request, path);
    if (response.status == 404 || response.status == 204) {
        return "[]";
    }
    if (response.status != 200) {
        throw SwiftError("listing container '" + std::string(container) + "' answered " +
                         std::to_string(response.status));
    }
    return body;
}

std::string SwiftClient::temp_url(std::string_view method, std::string_view container, std::string_view object,
                                  std::int64_t expires) {
    if (settings_.temp_url_key.empty()) {
        return "";
    }
    const Credentials current = credentials();
    const std::string_view account_path = path_of_url(current.storage_url);
    const std::string_view origin =
        std::string_view(current.storage_url).substr(0, current.storage_url.size() - account_path.size());
    return std::string(origin) + swift_object_path(account_path, container, object) + "?" +
           temp_url_query(settings_.temp_url_key, method, expires,
                          swift_object_raw_path(account_path, container, object));
}

}  // namespace artifacts
