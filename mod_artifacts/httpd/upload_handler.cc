// The upload API on the filesystem store: PUT one file, POST ?extract a tar,
// POST ?seal to write zuul-manifest.json and burn the token. Every refusal is a JSON
// body with the right status and an info line in the error log; nothing partial is ever
// visible and nothing refused is charged to the token.
#include <apr_strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "../backends/disk_store.h"
#include "../backends/fs_ledger.h"
#include "../backends/fs_store.h"
#include "../backends/pending_journal.h"
#include "../core/http/negotiation.h"
#include "../core/policy/upload_policy.h"
#include "../backends/catalogue.h"
#include "../backends/mysql_ledger.h"
#include "../backends/swift_client.h"
#include "../core/metrics/metrics.h"
#include "body_reader.h"
#include "module.h"
#include "upload_reply.h"
#include "upload_request.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

int run_upload(request_rec* r, const DirConfig* conf, const ServerConfig* server) {
    if (conf->keys == nullptr || conf->kinds == nullptr || server->state_dir == nullptr) {
        refuse(HTTP_METHOD_NOT_ALLOWED, "uploads_disabled",
               "uploads are not enabled here (ArtifactsTokenKey and ArtifactsKind configure them)");
    }
    TokenClaims claims = authorise(r, conf);
    const RequestState* state = request_state(r);
    if (state == nullptr || state->upload_path_problem != PathProblem::None) {
        refuse(HTTP_BAD_REQUEST, "bad_path",
               std::string(describe(state != nullptr ? state->upload_path_problem : PathProblem::InvalidUtf8)));
    }
    // With a catalogue, quotas and seals are kept there, for every server that shares it.
    const StorageConfig& storage = server->storage;
    std::optional<FsLedger> fs_ledger;
    std::optional<MySqlLedger> shared_ledger;
    Ledger& ledger = storage.catalogue != nullptr
                         ? static_cast<Ledger&>(shared_ledger.emplace(storage.catalogue->pool(), token_facts(claims)))
                         : static_cast<Ledger&>(fs_ledger.emplace(
                               std::string(server->state_dir) + "/" + kLedgerDirectory, token_facts(claims)));
    UploadRequest upload{r, conf, std::move(claims), state->relative_path, ledger};
    upload.store = storage.store == StoreKind::Swift ? metrics::StoreLabel::Swift : metrics::StoreLabel::Filesystem;
    const PendingJournal journal(std::string(server->state_dir) + "/" + kPendingDirectory);
    const FsStore files(artifact_root(r, conf), &journal, conf->sync != 0);
    // The one place a store is chosen for an upload: a new store is a class and a case here.
    const std::unique_ptr<Store> store = storage.store == StoreKind::Swift
                                             ? swift_store(upload, storage, server->state_dir)
                                             : std::make_unique<DiskStore>(files, ledger, upload.claims);
    if (is_directory_put(upload)) {
        return make_directory(upload, *store);
    }
    if (r->method_number == M_PUT) {
        return put_file(upload, *store);
    }
    const std::string_view query = r->args != nullptr ? r->args : "";
    if (query_parameter(query, "extract")) {
        return extract_archive(upload, *store);
    }
    if (query_parameter(query, "seal")) {
        return seal_scope(upload, *store);
    }
    refuse(HTTP_BAD_REQUEST, "unknown_operation", "POST takes ?extract (a tar body) or ?seal");
}

}  // namespace

int handle_upload(request_rec* r) {
    if (r->handler == nullptr || strcmp(r->handler, kUploadHandler) != 0) {
        return DECLINED;
    }
    r->allowed |= (AP_METHOD_BIT << M_PUT) | (AP_METHOD_BIT << M_POST);
    const DirConfig* conf = dir_config(r);
    try {
        return run_upload(r, conf, server_config(r->server));
    } catch (const Refused& refused) {
        return send_refusal(r, refused.refusal);
    } catch (const StoreError& error) {
        if (error.kind() == StoreError::Kind::Io || error.kind() == StoreError::Kind::NoSpace) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(error.error_number()), r,
                          ARTF_LOGNO(0214) "artifact store failure: %s", error.what());
        }
        return send_refusal(r, store_refusal(error));
    } catch (const HttpUnavailable& error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0215) "Swift unavailable for an upload: %s",
                      error.what());
        return send_refusal(r, {HTTP_SERVICE_UNAVAILABLE, "unavailable",
                                "the object store is unavailable; nothing was stored, try again later"});
    } catch (const SwiftError& error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0216) "Swift refused an upload: %s", error.what());
        return send_failure(
            r, {HTTP_BAD_GATEWAY, "store_failed", "the object store did not take the file; nothing was stored"});
    } catch (const LedgerUnavailable& error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0213) "token ledger unavailable: %s", error.what());
        return send_refusal(r, {HTTP_SERVICE_UNAVAILABLE, "unavailable",
                                "the token ledger is unavailable; nothing was stored, try again later"});
    } catch (const BodyError& error) {
        if (error.status() == AP_FILTER_ERROR) {
            return AP_FILTER_ERROR;  // an input filter has answered already
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, error.cause(), r,
                      ARTF_LOGNO(0211) "upload of %s abandoned: the body could not be read; nothing was stored",
                      r->uri);
        return error.status();
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ARTF_LOGNO(0212) "upload to %s failed: %s", r->uri, e.what());
        return send_failure(r, {HTTP_INTERNAL_SERVER_ERROR, "internal", "the upload failed; nothing was stored"});
    }
}

}  // namespace artifacts::httpd
