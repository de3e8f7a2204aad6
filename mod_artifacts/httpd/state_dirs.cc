// ArtifactsStateDir: created at start-up for the user the children run as, and swept of
// the temporary files of uploads whose process died. The records of what is in flight are
// written by that user, so the parent (root) never acts on them itself: the sweep runs in
// a short-lived process that has dropped to the children's user and groups first.
#include <apr_file_io.h>
#include <apr_strings.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unixd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "../backends/pending_journal.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

bool become_httpd_user() {
    const gid_t group = ap_unixd_config.group_id;
    return setgroups(1, &group) == 0 && setgid(group) == 0 && setuid(ap_unixd_config.user_id) == 0 &&
           ap_unixd_config.user_id != 0 && setuid(0) != 0;
}

namespace {

// sweep_pending() as the children's user: in a forked process when this one is root.
std::size_t sweep_unprivileged(const std::string& journal_directory) {
    if (geteuid() != 0) {
        return sweep_pending(journal_directory);
    }
    int result[2];
    if (pipe2(result, O_CLOEXEC) != 0) {
        return 0;
    }
    const pid_t sweeper = fork();
    if (sweeper == 0) {
        close(result[0]);
        const std::uint64_t removed = become_httpd_user() ? sweep_pending(journal_directory) : 0;
        const ssize_t written = write(result[1], &removed, sizeof removed);
        _exit(written == static_cast<ssize_t>(sizeof removed) ? 0 : 1);
    }
    close(result[1]);
    std::uint64_t removed = 0;
    if (sweeper > 0) {
        ssize_t got = -1;
        do {
            got = read(result[0], &removed, sizeof removed);
        } while (got < 0 && errno == EINTR);
        if (got != static_cast<ssize_t>(sizeof removed)) {
            removed = 0;
        }
        // Reaped here, so the MPM never meets a child it did not start.
        while (waitpid(sweeper, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    close(result[0]);
    return static_cast<std::size_t>(removed);
}

// Removes the temporary files of uploads whose process died, once per state directory.
void sweep_state_dirs(server_rec* main_server) {
    const char* swept = nullptr;
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
        const ServerConfig* conf = server_config(s);
        if (conf->state_dir == nullptr || (swept != nullptr && strcmp(swept, conf->state_dir) == 0)) {
            continue;
        }
        swept = conf->state_dir;
        const std::size_t removed = sweep_unprivileged(std::string(conf->state_dir) + "/" + kPendingDirectory);
        if (removed > 0) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         ARTF_LOGNO(0004) "removed %" APR_SIZE_T_FMT " temporary files of uploads whose process died",
                         removed);
        }
    }
}

}  // namespace

// Creates ArtifactsStateDir/ledger and /pending, owned by the user the children run as,
// and removes what uploads of processes that died left behind.
int prepare_state_dirs(apr_pool_t*, apr_pool_t*, apr_pool_t* ptemp, server_rec* main_server) {
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
        const ServerConfig* conf = server_config(s);
        if (conf->state_dir == nullptr) {
            continue;
        }
        apr_status_t status = APR_SUCCESS;
        for (const char* name : {kLedgerDirectory, kPendingDirectory, kOutboxDirectory}) {
            const char* dir = apr_pstrcat(ptemp, conf->state_dir, "/", name, nullptr);
            status = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, ptemp);
            for (const char* owned : {conf->state_dir, dir}) {
                if (status == APR_SUCCESS && geteuid() == 0 &&
                    chown(owned, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0) {
                    status = APR_FROM_OS_ERROR(errno);
                }
            }
            if (status != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, status, s,
                             ARTF_LOGNO(0003) "cannot prepare %s for the token ledger and pending uploads", dir);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }
    sweep_state_dirs(main_server);
    return OK;
}

// From the parent's monitor hook, about once a minute.
int sweep_abandoned_uploads(apr_pool_t*, server_rec* main_server) {
    static apr_time_t last_sweep = 0;
    const apr_time_t now = apr_time_now();
    if (now - last_sweep >= apr_time_from_sec(60)) {
        last_sweep = now;
        sweep_state_dirs(main_server);
    }
    return DECLINED;
}

}  // namespace artifacts::httpd
