// artifacts-token: mint, inspect and verify upload tokens with the module's own code.
//   artifacts-token mint --kid K --key-file F --scope S --kinds logs[,tarballs] [--ttl 3h] ...
//   artifacts-token inspect TOKEN
//   artifacts-token verify --key K=FILE [--key ...] [--leeway 60] [--max-lifetime 24h] [--now T] TOKEN
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../core/token/cidr.h"
#include "../core/codec/digest.h"
#include "../core/token/token.h"
#include "../core/codec/units.h"
#include "../backends/secret_file.h"
#include "command_line.h"

using namespace artifacts;
using artifacts::tools::UsageError;

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  artifacts-token mint --kid KID --key-file FILE --scope PREFIX/ --kinds KIND[,KIND...]\n"
    "                       [--ttl DURATION (default 3h) | --exp UNIX] [--nbf UNIX] [--jti ID]\n"
    "                       [--max-bytes SIZE] [--max-files N] [--ip CIDR]... [--overwrite]\n"
    "                       [--build ID] [--job NAME]\n"
    "  artifacts-token inspect TOKEN|-\n"
    "  artifacts-token verify --key KID=FILE [--key KID=FILE...] [--leeway DURATION]\n"
    "                         [--max-lifetime DURATION] [--now UNIX] TOKEN|-\n";

std::string read_secret(const std::string& path) {
    const auto secret = read_secret_file(path);
    if (!secret) {
        throw std::runtime_error("cannot read key file '" + path + "'");
    }
    if (secret->size() < kMinSecretLength) {
        throw std::runtime_error("the secret in '" + path + "' is shorter than 16 bytes");
    }
    return *secret;
}

std::int64_t number(const std::string& option, const std::string& value) {
    try {
        std::size_t used = 0;
        const long long parsed = std::stoll(value, &used);
        if (used == value.size()) {
            return parsed;
        }
    } catch (const std::exception&) {
    }
    throw UsageError(option + " takes a number, not '" + value + "'");
}

std::string token_argument(const std::vector<std::string>& rest) {
    if (rest.size() != 1) {
        throw UsageError("give exactly one token (or - to read it from standard input)");
    }
    if (rest[0] != "-") {
        return rest[0];
    }
    std::string token;
    std::getline(std::cin, token);
    return std::string(key_file_secret(token));
}

// Splits "--name value" pairs; a flag without value is given "".
struct Options {
    std::vector<std::pair<std::string, std::string>> named;
    std::vector<std::string> positional;
};

Options parse(int argc, char** argv, const std::vector<std::string>& flags) {
    Options options;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--", 0) != 0) {
            options.positional.push_back(arg);
            continue;
        }
        if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
            options.named.emplace_back(arg, "");
            continue;
        }
        if (i + 1 >= argc) {
            throw UsageError(arg + " needs a value");
        }
        options.named.emplace_back(arg, argv[++i]);
    }
    return options;
}

int mint(int argc, char** argv) {
    const Options options = parse(argc, argv, {"--overwrite"});
    std::string kid;
    std::string key_file;
    std::int64_t ttl = 3 * 3600;
    std::optional<std::int64_t> exp;
    TokenClaims claims;
    for (const auto& [name, value] : options.named) {
        if (name == "--kid") {
            kid = value;
        } else if (name == "--key-file") {
            key_file = value;
        } else if (name == "--scope") {
            claims.scope = value;
        } else if (name == "--kinds") {
            std::stringstream list(value);
            for (std::string kind; std::getline(list, kind, ',');) {
                if (!kind.empty()) {
                    claims.kinds.push_back(kind);
                }
            }
        } else if (name == "--ttl") {
            const auto seconds = parse_duration(value);
            if (!seconds) {
                throw UsageError("--ttl takes a duration such as 3h, not '" + value + "'");
            }
            ttl = *seconds;
        } else if (name == "--exp") {
            exp = number(name, value);
        } else if (name == "--nbf") {
            claims.nbf = number(name, value);
        } else if (name == "--jti") {
            claims.jti = value;
        } else if (name == "--max-bytes") {
            const auto bytes = parse_byte_size(value);
            if (!bytes) {
                throw UsageError("--max-bytes takes a size such as 5G, not '" + value + "'");
            }
            claims.max_bytes = *bytes;
        } else if (name == "--max-files") {
            claims.max_files = static_cast<std::uint64_t>(number(name, value));
        } else if (name == "--ip") {
            if (!parse_cidr(value)) {
                throw UsageError("--ip takes a CIDR range such as 192.0.2.0/24, not '" + value + "'");
            }
            claims.ip.push_back(value);
        } else if (name == "--overwrite") {
            claims.overwrite = true;
        } else if (name == "--build") {
            claims.build = value;
        } else if (name == "--job") {
            claims.job = value;
        } else {
            throw UsageError("unknown option " + name);
        }
    }
    if (kid.empty() || key_file.empty() || claims.scope.empty() || claims.kinds.empty() ||
        !options.positional.empty()) {
        throw UsageError("mint needs --kid, --key-file, --scope and --kinds");
    }
    if (!is_valid_kid(kid)) {
        throw UsageError("--kid must be 1 to 64 letters, digits, '-' or '_'");
    }
    if (claims.scope.back() != '/') {
        throw UsageError("--scope must end with '/'");
    }
    if (claims.jti.empty()) {
        claims.jti = random_hex(16);
    }
    claims.exp = exp ? *exp : static_cast<std::int64_t>(std::time(nullptr)) + ttl;
    std::cout << mint_token(kid, read_secret(key_file), claims_to_json(claims)) << "\n";
    return 0;
}

int inspect(int argc, char** argv) {
    const Options options = parse(argc, argv, {});
    if (!options.named.empty()) {
        throw UsageError("inspect takes only a token");
    }
    const std::string token = token_argument(options.positional);
    const auto claims = unverified_claims_json(token);
    if (!claims) {
        std::cerr << "artifacts-token: not an art1 token\n";
        return 1;
    }
    const auto parsed = nlohmann::json::parse(*claims, nullptr, false);
    std::cout << "kid: " << token.substr(5, token.find('.', 5) - 5) << "\n"
              << "claims (not verified):\n"
              << (parsed.is_discarded() ? *claims : parsed.dump(2)) << "\n";
    return 0;
}

int verify(int argc, char** argv) {
    const Options options = parse(argc, argv, {});
    KeyRing keys;
    VerifyOptions verify_options;
    verify_options.now = static_cast<std::int64_t>(std::time(nullptr));
    for (const auto& [name, value] : options.named) {
        if (name == "--key") {
            const std::size_t equals = value.find('=');
            if (equals == std::string::npos) {
                throw UsageError("--key takes KID=FILE");
            }
            keys[value.substr(0, equals)] = read_secret(value.substr(equals + 1));
        } else if (name == "--leeway" || name == "--max-lifetime") {
            const auto seconds = parse_duration(value);
            if (!seconds) {
                throw UsageError(name + " takes a duration, not '" + value + "'");
            }
            (name == "--leeway" ? verify_options.leeway : verify_options.max_lifetime) = *seconds;
        } else if (name == "--now") {
            verify_options.now = number(name, value);
        } else {
            throw UsageError("unknown option " + name);
        }
    }
    if (keys.empty()) {
        throw UsageError("verify needs at least one --key KID=FILE");
    }
    const TokenCheck check = verify_token(token_argument(options.positional), keys, verify_options);
    if (!check) {
        std::cout << "refused: " << problem_code(check.problem) << ": " << check.reason << "\n";
        return 1;
    }
    std::cout << "valid: kid " << check.kid << "\n" << claims_to_json(check.claims) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "mint") {
            return mint(argc, argv);
        }
        if (command == "inspect") {
            return inspect(argc, argv);
        }
        if (command == "verify") {
            return verify(argc, argv);
        }
        if (command == "-h" || command == "--help") {
            std::cout << kUsage;
            return 0;
        }
        throw UsageError(command.empty() ? "no command" : "unknown command '" + command + "'");
    } catch (const UsageError& e) {
        std::cerr << "artifacts-token: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "artifacts-token: " << e.what() << "\n";
        return 1;
    }
}
