// What every upload shares (see upload_request.h).
#include "upload_request.h"

#include <apr_strings.h>
#include <http_protocol.h>

#include <cstring>

#include "../core/codec/digest.h"
#include "../core/codec/escape.h"
#include "../core/policy/upload_policy.h"
#include "../core/upload/body_checks.h"
#include "../core/upload/log_summarizer.h"
#include "../core/upload/put_pipeline.h"
#include "body_reader.h"
#include "upload_reply.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

std::string url_for(const UploadRequest& upload, std::string_view relative) {
    return artifact_url(upload.r, upload.conf->location, relative);
}

namespace {

std::optional<std::string> bearer_token(request_rec* r) {
    if (const char* header = apr_table_get(r->headers_in, "Authorization")) {
        if (strncasecmp(header, "Bearer ", 7) == 0) {
            const char* token = header + 7;
            while (*token == ' ') {
                ++token;
            }
            return std::string(token);
        }
    }
    const RequestState* state = request_state(r);
    if (state != nullptr && state->query_token != nullptr) {
        return std::string(state->query_token);
    }
    return std::nullopt;
}

}  // namespace

TokenClaims authorise(request_rec* r, const DirConfig* conf) {
    const auto token = bearer_token(r);
    if (!token) {
        refuse(HTTP_UNAUTHORIZED, "invalid_token", "no token: send Authorization: Bearer <token> or ?token=");
    }
    VerifyOptions options;
    options.now = apr_time_sec(r->request_time);
    options.leeway = conf->leeway != -1 ? conf->leeway : kDefaultLeeway;
    options.max_lifetime = conf->max_lifetime != -1 ? conf->max_lifetime : kDefaultMaxLifetime;
    TokenCheck check = verify_token(*token, *conf->keys, options);
    if (!check) {
        throw Refused{invalid_token(check)};
    }
    if (auto refusal = check_client_address(check.claims, r->useragent_ip)) {
        throw Refused{*refusal};
    }
    return std::move(check.claims);
}

namespace {

// The `file` event of ArtifactsNotify for a file stored at `path` (as sent: its size and
// digest; a log's summary when it has one).
Event file_event(const UploadRequest& upload, const std::string& path, std::uint64_t size, const std::string& sha256,
                 const std::optional<LogSummary>& summary) {
    Event event;
    event.kind = "file";
    event.url = url_for(upload, path);
    event.path = path;
    event.files = 1;
    event.bytes = size;
    event.sha256 = sha256;
    event.summary = summary;
    return event;
}

// artifacts_files_stored_total and artifacts_bytes_stored_total, by the kind that let it in.
void count_stored_file(const UploadRequest& upload, std::string_view relative, std::uint64_t size) {
    const Kind* kind = upload.conf->kinds->matching_kind(upload.claims.kinds, split_path(relative).name);
    metrics::record_stored_file(upload.store, kind != nullptr ? std::string_view(kind->name) : std::string_view(),
                                size);
}

}  // namespace

void audit(const UploadRequest& upload, const char* what, std::string_view relative, std::uint64_t size,
           const std::string& sha256) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, upload.r,
                  ARTF_LOGNO(0201) "%s %s (%" APR_UINT64_T_FMT " bytes, sha256 %s) jti=%s build=%s job=%s client=%s",
                  what, std::string(relative).c_str(), static_cast<apr_uint64_t>(size), sha256.c_str(),
                  upload.claims.jti.c_str(), upload.claims.build.c_str(), upload.claims.job.c_str(),
                  upload.r->useragent_ip);
}

std::uint64_t max_file_size(const UploadRequest& upload) {
    return static_cast<std::uint64_t>(upload.conf->max_file_size != -1 ? upload.conf->max_file_size
                                                                       : kDefaultMaxFileSize);
}

std::optional<std::uint64_t> declared_length(const UploadRequest& upload) {
    const char* header = apr_table_get(upload.r->headers_in, "Content-Length");
    if (header == nullptr || upload.r->read_chunked) {
        return std::nullopt;
    }
    apr_off_t length = 0;
    if (apr_strtoff(&length, header, nullptr, 10) != APR_SUCCESS || length < 0) {
        return std::nullopt;  // HTTP_IN refuses it when the body is read
    }
    const auto bytes = static_cast<std::uint64_t>(length);
    const apr_off_t body_limit = ap_get_limit_req_body(upload.r);
    if (bytes > max_file_size(upload) || (body_limit > 0 && length > body_limit)) {
        throw Refused{file_too_large(body_limit > 0 && static_cast<std::uint64_t>(body_limit) < max_file_size(upload)
                                         ? static_cast<std::uint64_t>(body_limit)
                                         : max_file_size(upload))};
    }
    return bytes;
}

bool gzip_body(request_rec* r) {
    const char* encoding = apr_table_get(r->headers_in, "Content-Encoding");
    const bool gzip = encoding != nullptr && (strcasecmp(encoding, "gzip") == 0 || strcasecmp(encoding, "x-gzip") == 0);
    if (encoding != nullptr && !gzip && strcasecmp(encoding, "identity") != 0) {
        refuse(HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding",
               std::string("Content-Encoding '") + encoding + "' is not supported (gzip or none)");
    }
    return gzip;
}

SplitPath check_put_target(const UploadRequest& upload) {
    SplitPath target = split_path(upload.relative);
    if (target.name.empty()) {
        refuse(HTTP_BAD_REQUEST, "bad_path", "PUT needs a file name, not a directory path ending with '/'");
    }
    if (auto refusal = check_file_target(upload.claims, *upload.conf->kinds, upload.relative)) {
        throw Refused{*refusal};
    }
    return target;
}

bool is_directory_put(const UploadRequest& upload) {
    return upload.r->method_number == M_PUT && (upload.relative.empty() || upload.relative.back() == '/');
}

std::string check_directory_put(UploadRequest& upload) {
    const std::string& directory = upload.relative;
    if (auto refusal = check_directory_target(upload.claims, directory)) {
        throw Refused{*refusal};
    }
    const auto length = declared_length(upload);
    if (length && *length > 0) {
        refuse(HTTP_BAD_REQUEST, "bad_request",
               "a PUT of a path ending with '/' makes that directory and takes no body; to store a file, name it");
    }
    BodyReader body(upload.r);
    if (!body.next().empty()) {
        refuse(HTTP_BAD_REQUEST, "bad_request",
               "a PUT of a path ending with '/' makes that directory and takes no body; to store a file, name it");
    }
    return directory;
}

int put_file(UploadRequest& upload, Store& store) {
    request_rec* r = upload.r;
    const SplitPath target = check_put_target(upload);
    PutRequest request;
    request.claims = &upload.claims;
    request.ledger = &upload.ledger;
    request.path = upload.relative;
    request.gzip = gzip_body(r);
    request.length = declared_length(upload);
    request.max_file_size = max_file_size(upload);
    request.sha256 = parse_expected_sha256(apr_table_get(r->headers_in, "X-Artifact-Sha256"));
    request.compress = matches_any_pattern(upload.conf->compress, target.name.c_str());
    // The logs HTMLIFY shows get their summary counted as they arrive.
    if (matches_any_pattern(upload.conf->htmlify, target.name.c_str())) {
        request.processors.push_back(std::make_unique<LogSummarizer>());
    }
    request.before_commit = [&upload](const PutResult& prospective, const std::optional<CommitMark>& mark) {
        prepare_events(
            upload,
            file_event(upload, upload.relative, prospective.size, prospective.sha256, prospective.notes.summary), mark);
    };
    BodyReader body(r);
    const PutResult result = artifacts::put_file(store, request, body);
    audit(upload, result.created ? "stored" : "already stored", upload.relative, result.size, result.sha256);
    if (result.created) {
        count_stored_file(upload, upload.relative, result.size);
        keep_events(upload);
    }
    std::string reply;
    const std::string url = url_for(upload, upload.relative);
    append_stored_file_json(reply, upload.relative, result.size, result.sha256, url);
    reply += "\n";
    if (result.created) {
        apr_table_setn(r->headers_out, "Location", apr_pstrdup(r->pool, url.c_str()));
    }
    return send_json(r, result.created ? HTTP_CREATED : HTTP_OK, reply);
}

int make_directory(UploadRequest& upload, Store& store) {
    const std::string directory = check_directory_put(upload);
    const bool made = store.make_directory(directory);
    if (made) {
        audit(upload, "made directory", directory, 0, "-");
        metrics::record_directory(upload.store);
    }
    return reply_directory(upload, made);
}

int extract_archive(UploadRequest& upload, Store& store) {
    const std::string& directory = upload.relative;
    const LedgerUsage usage = check_archive_request(upload);
    const std::unique_ptr<ArchiveTransaction> archive = store.begin_archive(directory);
    ArchiveQuota quota(upload.claims, usage);
    const MemberCheck check = [&](std::string_view path, std::uint64_t size) -> std::optional<Refusal> {
        if (auto refusal = check_file_target(upload.claims, *upload.conf->kinds, path)) {
            return refusal;
        }
        return quota.add(size, [&] { return archive->holds(std::string(path)); });
    };
    BodyReader body(upload.r);
    archive->stage(body, check, max_file_size(upload));
    body.drain();
    const std::vector<StoredMember> members =
        archive->commit([&upload](const std::vector<ProspectiveMember>& new_ones) {
            for (const ProspectiveMember& member : new_ones) {
                prepare_events(upload, file_event(upload, member.path, member.size, member.sha256, std::nullopt),
                               member.mark);
            }
        });
    metrics::record_archive(upload.store);
    keep_events(upload);
    return reply_archive(upload, directory, members);
}

int seal_scope(UploadRequest& upload, Store& store) {
    request_rec* r = upload.r;
    if (upload.relative != upload.claims.scope) {
        refuse(HTTP_FORBIDDEN, "out_of_scope",
               "?seal takes the token's scope '" + upload.claims.scope + "', not '" + upload.relative + "'");
    }
    ap_discard_request_body(r);
    mark_body_read(r);
    const SealResult sealed = seal(store, upload.relative, apr_time_sec(r->request_time),
                                   [&upload](const SealResult& result, const std::optional<CommitMark>& mark) {
                                       Event event;
                                       event.kind = "seal";
                                       event.url = url_for(upload, upload.relative);
                                       event.files = result.usage.files;
                                       event.bytes = result.usage.bytes;
                                       event.scope_summary = result.logs;
                                       prepare_events(upload, std::move(event), mark);
                                   });
    audit(upload, "sealed with", sealed.path, sealed.size, sealed.sha256);
    metrics::record_seal(upload.store);
    keep_events(upload);
    std::string reply;
    append_stored_file_json(reply, sealed.path, sealed.size, sealed.sha256, url_for(upload, sealed.path));
    reply.insert(reply.size() - 1, ",\"sealed\":true");
    reply += "\n";
    return send_json(r, HTTP_OK, reply);
}

int reply_archive(UploadRequest& upload, const std::string& directory, const std::vector<StoredMember>& members) {
    bool any_new = false;
    std::string reply = "{\"path\":";
    append_json_string(reply, directory);
    reply += ",\"files\":[";
    for (std::size_t i = 0; i < members.size(); ++i) {
        const StoredMember& member = members[i];
        any_new = any_new || !member.identical;
        audit(upload, member.identical ? "already stored" : "stored", member.path, member.size, member.sha256);
        if (!member.identical) {
            count_stored_file(upload, member.path, member.size);
        }
        reply += i == 0 ? "\n" : ",\n";
        append_stored_file_json(reply, member.path, member.size, member.sha256, url_for(upload, member.path));
    }
    reply += "]}\n";
    return send_json(upload.r, any_new || members.empty() ? HTTP_CREATED : HTTP_OK, reply);
}

int reply_directory(UploadRequest& upload, bool created) {
    const std::string url = url_for(upload, upload.relative);
    std::string reply = "{\"path\":";
    append_json_string(reply, upload.relative);
    reply += ",\"type\":\"directory\",\"url\":";
    append_json_string(reply, url);
    reply += "}\n";
    if (created) {
        apr_table_setn(upload.r->headers_out, "Location", apr_pstrdup(upload.r->pool, url.c_str()));
    }
    return send_json(upload.r, created ? HTTP_CREATED : HTTP_OK, reply);
}

LedgerUsage check_archive_request(UploadRequest& upload) {
    const std::string& directory = upload.relative;
    if (!directory.empty() && directory.back() != '/') {
        refuse(HTTP_BAD_REQUEST, "bad_path", "?extract takes a directory path ending with '/'");
    }
    if (auto refusal = check_directory_target(upload.claims, directory)) {
        throw Refused{*refusal};
    }
    const char* encoding = apr_table_get(upload.r->headers_in, "Content-Encoding");
    if (encoding != nullptr && strcasecmp(encoding, "identity") != 0 && strcasecmp(encoding, "gzip") != 0) {
        refuse(HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding",
               std::string("Content-Encoding '") + encoding + "' is not supported for archives (tar or tar.gz)");
    }
    declared_length(upload);
    return check_ledger_early(upload.ledger, upload.claims, 0);
}

}  // namespace artifacts::httpd
