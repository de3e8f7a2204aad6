// ArtifactsNotify: events after commit. A commit that a receiver wants to hear of (a seal;
// with `file`, each new file) has its records, one per receiver, signed by the child just
// before the commit: the Swift store writes them into the catalogue's outbox in the
// commit's own transaction; the filesystem store's go to ArtifactsStateDir/outbox before
// the commit, pending on its mark, and are settled after it (backends/fs_outbox.h). One
// delivery process per server, forked by the parent at each (re)start and run as the
// children's user, POSTs them with backoff (backends/notifier.h). A child never waits for
// a receiver.
#include <apr_strings.h>
#include <httpd.h>
#include <http_log.h>
#include <signal.h>
#include <unistd.h>

#include <poll.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../backends/catalogue_outbox.h"
#include "../backends/fs_outbox.h"
#include "../backends/notifier.h"
#include "../backends/secret_file.h"
#include "../core/codec/digest.h"
#include "module.h"
#include "upload_request.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

std::string outbox_directory(const ServerConfig* conf) {
    return std::string(conf->state_dir) + "/" + kOutboxDirectory;
}

// One outbox and the receivers of the hosts that use it: the state directory's, and the
// catalogue's where the Swift store commits events with what they tell of.
struct Mailbox {
    std::string key;  // the directory, or the catalogue's address
    std::shared_ptr<const Outbox> outbox;
    std::vector<NotifyTarget> targets;
    server_rec* server;
};

void add_mailbox(std::vector<Mailbox>& boxes, const std::string& key, const std::function<Outbox*()>& make,
                 const ServerConfig* conf, server_rec* s) {
    Mailbox* box = nullptr;
    for (Mailbox& existing : boxes) {
        if (existing.key == key) {
            box = &existing;
        }
    }
    if (box == nullptr) {
        boxes.push_back(Mailbox{key, std::shared_ptr<const Outbox>(make()), {}, s});
        box = &boxes.back();
    }
    for (int i = 0; i < conf->notify->nelts; ++i) {
        const auto& line = APR_ARRAY_IDX(conf->notify, i, NotifyConfig);
        bool known = false;
        for (const NotifyTarget& target : box->targets) {
            known = known || target.url == line.url;
        }
        if (!known) {
            box->targets.push_back(NotifyTarget{line.url});
        }
    }
}

std::vector<Mailbox> mailboxes(server_rec* main_server) {
    std::vector<Mailbox> boxes;
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
        const ServerConfig* conf = server_config(s);
        if (conf->notify == nullptr || conf->state_dir == nullptr) {
            continue;
        }
        const std::string directory = outbox_directory(conf);
        add_mailbox(
            boxes, directory, [&] { return new FsOutbox(directory, true); }, conf, s);
        if (Catalogue* catalogue = conf->storage.catalogue) {
            char address[32];
            std::snprintf(address, sizeof address, "catalogue %p", static_cast<void*>(catalogue));
            add_mailbox(
                boxes, address, [&] { return new CatalogueOutbox(*catalogue); }, conf, s);
        }
    }
    return boxes;
}

volatile sig_atomic_t stop_requested = 0;

void request_stop(int) {
    stop_requested = 1;
}

// The delivery process: rounds every second (at once again while a round left due work),
// until the parent is gone or it is told to stop.
[[noreturn]] void run_notifier(server_rec* main_server, pid_t parent) {
    struct sigaction stop {};
    stop.sa_handler = request_stop;
    sigaction(SIGTERM, &stop, nullptr);
    sigaction(SIGINT, &stop, nullptr);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (geteuid() == 0 && !become_httpd_user()) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, main_server,
                     ARTF_LOGNO(0602) "the event delivery process cannot drop to the children's user");
        _exit(1);
    }
    const std::vector<Mailbox> boxes = mailboxes(main_server);
    CurlPool curl;
    const DeliveryLimits limits;
    while (!stop_requested && getppid() == parent) {
        bool busy = false;
        for (const Mailbox& box : boxes) {
            try {
                const DeliveryRound round =
                    deliver_due(*box.outbox, box.targets, curl, static_cast<std::int64_t>(time(nullptr)), limits,
                                [&](int level, const std::string& message) {
                                    ap_log_error(APLOG_MARK, level == 0 ? APLOG_NOTICE : APLOG_WARNING, 0, box.server,
                                                 ARTF_LOGNO(0603) "%s", message.c_str());
                                });
                busy = busy || round.delivered + round.given_up >= limits.batch;
            } catch (const std::exception& error) {
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, box.server, ARTF_LOGNO(0604) "event delivery: %s", error.what());
            }
        }
        if (!busy) {
            poll(nullptr, 0, 1000);
        }
    }
    _exit(0);
}

struct NotifierProcess {
    apr_proc_t proc;
    server_rec* main_server;
    apr_pool_t* pool;
};

void spawn(NotifierProcess* notifier);

// The MPM reaps the delivery process like any child; this hears of it and starts another.
void notifier_maintenance(int reason, void* data, apr_wait_t) {
    auto* notifier = static_cast<NotifierProcess*>(data);
    if (reason == APR_OC_REASON_DEATH || reason == APR_OC_REASON_LOST) {
        apr_proc_other_child_unregister(notifier);
        if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, notifier->main_server,
                         ARTF_LOGNO(0605) "the event delivery process %" APR_PID_T_FMT " ended; starting another",
                         notifier->proc.pid);
            spawn(notifier);
        }
    } else if (reason == APR_OC_REASON_RESTART || reason == APR_OC_REASON_UNREGISTER) {
        // The configuration's pool ends: its cleanup stops the process.
    }
}

void spawn(NotifierProcess* notifier) {
    const pid_t parent = getpid();
    const apr_status_t status = apr_proc_fork(&notifier->proc, notifier->pool);
    if (status == APR_INCHILD) {
        run_notifier(notifier->main_server, parent);
    }
    if (status != APR_INPARENT) {
        ap_log_error(APLOG_MARK, APLOG_ERR, status, notifier->main_server,
                     ARTF_LOGNO(0606) "cannot start the event delivery process");
        return;
    }
    // Stopped (SIGTERM, then SIGKILL) when the configuration's pool ends: a restart starts
    // another with the new configuration, a stop none.
    apr_pool_note_subprocess(notifier->pool, &notifier->proc, APR_KILL_AFTER_TIMEOUT);
    apr_proc_other_child_register(&notifier->proc, notifier_maintenance, notifier, nullptr, notifier->pool);
}

}  // namespace

// ArtifactsNotify URL [seal] [file] key-file=FILE
const char* add_notify(cmd_parms* cmd, void*, int argc, char* const argv[]) {
    if (argc < 2) {
        return "ArtifactsNotify takes a URL, the events (seal, file; default seal) and key-file=FILE";
    }
    NotifyConfig line{};
    line.url = argv[0];
    if (strncmp(line.url, "http://", 7) != 0 && strncmp(line.url, "https://", 8) != 0) {
        return apr_pstrcat(cmd->pool, "ArtifactsNotify: '", line.url, "' is not an http:// or https:// URL", nullptr);
    }
    for (const char* c = line.url; *c != '\0'; ++c) {
        if (static_cast<unsigned char>(*c) <= ' ' || *c == 0x7F) {
            return "ArtifactsNotify: the URL has a space or a control character";
        }
    }
    const char* key_file = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (strcasecmp(argv[i], "seal") == 0) {
            line.seal = true;
        } else if (strcasecmp(argv[i], "file") == 0) {
            line.file = true;
        } else if (strncmp(argv[i], "key-file=", 9) == 0) {
            key_file = ap_server_root_relative(cmd->pool, argv[i] + 9);
        } else {
            return apr_pstrcat(cmd->pool, "ArtifactsNotify: unknown word '", argv[i], "' (seal, file or key-file=FILE)",
                               nullptr);
        }
    }
    if (!line.seal && !line.file) {
        line.seal = true;
    }
    if (key_file == nullptr) {
        return "ArtifactsNotify needs key-file=FILE: receivers verify the signature with its key";
    }
    const auto key = read_secret_file(key_file);
    if (!key || key->size() < 16) {
        return apr_pstrcat(cmd->pool, "ArtifactsNotify: cannot read a key of at least 16 bytes from ", key_file,
                           nullptr);
    }
    line.key = static_cast<const char*>(apr_pmemdup(cmd->pool, key->data(), key->size()));
    line.key_length = key->size();
    auto* conf = server_config(cmd->server);
    if (conf->notify == nullptr) {
        conf->notify = apr_array_make(cmd->pool, 2, sizeof(NotifyConfig));
    }
    APR_ARRAY_PUSH(conf->notify, NotifyConfig) = line;
    return nullptr;
}

int check_notify_config(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* main_server) {
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
        const ServerConfig* conf = server_config(s);
        if (conf->notify != nullptr && conf->state_dir == nullptr) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                         ARTF_LOGNO(0601) "ArtifactsNotify needs ArtifactsStateDir: its outbox is kept there");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

int start_notifier(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* main_server) {
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG || mailboxes(main_server).empty()) {
        return OK;
    }
    auto* notifier = static_cast<NotifierProcess*>(apr_pcalloc(pconf, sizeof(NotifierProcess)));
    notifier->main_server = main_server;
    notifier->pool = pconf;
    spawn(notifier);
    return OK;
}

void prepare_events(UploadRequest& upload, Event event, const std::optional<CommitMark>& mark) {
    const ServerConfig* conf = server_config(upload.r->server);
    if (conf->notify == nullptr) {
        return;
    }
    event.id = random_hex(16);
    event.scope = upload.claims.scope;
    event.build = upload.claims.build;
    event.job = upload.claims.job;
    event.jti = upload.claims.jti;
    event.time = apr_time_sec(apr_time_now());
    const std::string body = event_json(event);
    const bool seal = event.kind == "seal";
    std::vector<OutboxRecord> records;
    for (int i = 0; i < conf->notify->nelts; ++i) {
        const auto& line = APR_ARRAY_IDX(conf->notify, i, NotifyConfig);
        if (seal ? line.seal : line.file) {
            records.push_back(OutboxRecord{line.url, event.id, event.kind,
                                           event_signature(std::string_view(line.key, line.key_length), body), 0,
                                           event.time, event.time, body});
        }
    }
    if (records.empty()) {
        return;
    }
    // Only a store that commits no events itself gives a mark (the filesystem store).
    if (!mark || conf->state_dir == nullptr) {
        upload.events.insert(upload.events.end(), records.begin(), records.end());
        return;
    }
    try {
        upload.pending_events.stage(FsOutbox(outbox_directory(conf), upload.conf->sync != 0), records, *mark);
    } catch (const std::exception& error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, upload.r,
                      ARTF_LOGNO(0608) "the %s event of %s cannot be kept, so the commit is not made: %s",
                      event.kind.c_str(), upload.r->uri, error.what());
        refuse(HTTP_SERVICE_UNAVAILABLE, "unavailable",
               "the event outbox cannot be written; nothing was stored, try again later");
    }
}

void keep_events(UploadRequest& upload) {
    for (const std::string& problem : upload.pending_events.settle()) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, upload.r, ARTF_LOGNO(0607) "%s", problem.c_str());
    }
    const ServerConfig* conf = server_config(upload.r->server);
    if (upload.events_committed || upload.events.empty() || conf->state_dir == nullptr) {
        return;
    }
    const FsOutbox outbox(outbox_directory(conf), upload.conf->sync != 0);
    for (const OutboxRecord& record : upload.events) {
        try {
            outbox.put(record);
        } catch (const std::exception& error) {
            // The commit stands (the client is told so); the event is lost, and said so.
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, upload.r, ARTF_LOGNO(0607) "the %s event %s for %s is lost: %s",
                          record.kind.c_str(), record.event_id.c_str(), record.url.c_str(), error.what());
        }
    }
    upload.events.clear();
}

}  // namespace artifacts::httpd
