// Each child's upkeep of its pooled connections to the catalogue and Swift: a thread that
// every few seconds closes the idle ones the server has closed meanwhile (MariaDB after a
// restart or wait_timeout, the Swift proxy after its keep-alive timeout, which otherwise sit
// in CLOSE-WAIT until reused), and a cleanup that closes them all when the child exits, so
// that the database sees a goodbye rather than an aborted connection at every graceful
// restart.
#include <httpd.h>
#include <http_log.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "../backends/catalogue.h"
#include "../backends/swift_client.h"
#include "module.h"

APLOG_USE_MODULE(artifacts);

namespace artifacts::httpd {

namespace {

constexpr auto kUpkeepEvery = std::chrono::seconds(2);

class ConnectionUpkeep {
public:
    ConnectionUpkeep(std::set<Catalogue*> catalogues, std::set<SwiftClient*> swifts)
        : catalogues_(std::move(catalogues)), swifts_(std::move(swifts)), thread_([this] { run(); }) {}

    ~ConnectionUpkeep() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
        for (Catalogue* catalogue : catalogues_) {
            catalogue->close_idle();
        }
        for (SwiftClient* swift : swifts_) {
            swift->close_idle();
        }
    }

private:
    void run() {
        std::unique_lock<std::mutex> lock(mutex_);
        while (!wake_.wait_for(lock, kUpkeepEvery, [this] { return stopping_; })) {
            for (Catalogue* catalogue : catalogues_) {
                catalogue->drop_closed_idle();
            }
            for (SwiftClient* swift : swifts_) {
                swift->drop_closed_idle();
            }
        }
    }

    std::set<Catalogue*> catalogues_;
    std::set<SwiftClient*> swifts_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the rest is ready
};

apr_status_t stop_upkeep(void* data) {
    delete static_cast<ConnectionUpkeep*>(data);
    return APR_SUCCESS;
}

}  // namespace

void start_connection_upkeep(apr_pool_t* pchild, server_rec* main_server) {
    std::set<Catalogue*> catalogues;
    std::set<SwiftClient*> swifts;
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
        const StorageConfig& storage = server_config(s)->storage;
        if (storage.catalogue != nullptr) {
            catalogues.insert(storage.catalogue);
        }
        if (storage.swift != nullptr) {
            swifts.insert(storage.swift);
        }
    }
    if (catalogues.empty() && swifts.empty()) {
        return;
    }
    try {
        auto* upkeep = new ConnectionUpkeep(std::move(catalogues), std::move(swifts));
        apr_pool_cleanup_register(pchild, upkeep, stop_upkeep, apr_pool_cleanup_null);
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, main_server,
                     ARTF_LOGNO(0411) "cannot start the upkeep of pooled connections: %s", e.what());
    }
}

}  // namespace artifacts::httpd
