// What the tools that work on Swift and the catalogue share: --catalogue and --swift take
// the settings of ArtifactsCatalogue and ArtifactsSwift, quoted as in httpd.conf.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "../backends/mysql_connection.h"
#include "../backends/swift_client.h"
#include "command_line.h"

namespace artifacts::tools {

inline CatalogueSettings catalogue_option(const std::string& text) {
    CatalogueSettings settings;
    if (const std::string error = parse_catalogue_settings(text, settings); !error.empty()) {
        throw UsageError("--catalogue: " + error);
    }
    return settings;
}

inline SwiftSettings swift_option(const std::string& text) {
    std::istringstream stream(text);
    std::vector<std::string> words;
    for (std::string word; stream >> word;) {
        words.push_back(word);
    }
    SwiftSettings settings;
    if (const std::string error = parse_swift_settings(words, settings); !error.empty()) {
        throw UsageError("--swift: " + error);
    }
    return settings;
}

}  // namespace artifacts::tools
