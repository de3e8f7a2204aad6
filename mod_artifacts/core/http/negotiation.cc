#include "negotiation.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "../codec/escape.h"

namespace artifacts {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

// One element of a comma-separated header list: "token;q=0.5;x=y" -> token and q.
struct Weighted {
    std::string_view token;
    double quality = 1.0;
};

Weighted parse_element(std::string_view element) {
    Weighted result;
    const std::size_t semicolon = element.find(';');
    result.token = trim(element.substr(0, semicolon));
    std::string_view params = semicolon == std::string_view::npos ? std::string_view{} : element.substr(semicolon + 1);
    while (!params.empty()) {
        const std::size_t next = params.find(';');
        const std::string_view param = trim(params.substr(0, next));
        if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            const std::string value(param.substr(2));
            char* end = nullptr;
            const double q = std::strtod(value.c_str(), &end);
            result.quality = (end == value.c_str() || q < 0) ? 0 : (q > 1 ? 1 : q);
        }
        params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
    }
    return result;
}

template <typename Visit>
void for_each_element(std::string_view header, Visit visit) {
    while (!header.empty()) {
        const std::size_t comma = header.find(',');
        const Weighted element = parse_element(header.substr(0, comma));
        if (!element.token.empty()) {
            visit(element);
        }
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    }
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::string_view media_type_of(std::string_view content_type) {
    return trim(content_type.substr(0, content_type.find(';')));
}

bool accepts_gzip(std::string_view accept_encoding) {
    std::optional<double> gzip;
    std::optional<double> wildcard;
    for_each_element(accept_encoding, [&](const Weighted& element) {
        if (iequals(element.token, "gzip") || iequals(element.token, "x-gzip")) {
            gzip = std::max(gzip.value_or(0.0), element.quality);
        } else if (element.token == "*") {
            wildcard = element.quality;
        }
    });
    if (gzip) {
        return *gzip > 0;
    }
    return wildcard && *wildcard > 0;
}

bool prefers_json(std::string_view accept) {
    double json = 0;
    double html = 0;
    for_each_element(accept, [&](const Weighted& element) {
        if (iequals(element.token, "application/json")) {
            json = std::max(json, element.quality);
        } else if (iequals(element.token, "text/html")) {
            html = std::max(html, element.quality);
        }
    });
    return json > 0 && json > html;
}

bool accepts_html(std::string_view accept) {
    double html = 0;
    for_each_element(accept, [&](const Weighted& element) {
        if (iequals(element.token, "text/html") || iequals(element.token, "application/xhtml+xml")) {
            html = std::max(html, element.quality);
        }
    });
    return html > 0;
}

std::string form_decode(std::string_view value) {
    std::string decoded;
    decoded.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        const int escaped = percent_escape_at(value, i);
        if (escaped >= 0) {
            decoded.push_back(static_cast<char>(escaped));
            i += 2;
        } else {
            decoded.push_back(value[i] == '+' ? ' ' : value[i]);
        }
    }
    return decoded;
}

std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const std::size_t end = query.find_first_of("&;");
        const std::string_view param = query.substr(0, end);
        const std::size_t equals = param.find('=');
        if (param.substr(0, equals) == name) {
            return equals == std::string_view::npos ? std::string_view{} : param.substr(equals + 1);
        }
        query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    }
    return std::nullopt;
}

}  // namespace artifacts
