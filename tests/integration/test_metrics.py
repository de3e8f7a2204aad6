"""artifacts-metrics: the module's counters in Prometheus's text format, kept in memory the
children share (a prefork server of four processes here, so that concurrent requests land
in different processes), surviving a graceful restart; and its line on server-status."""
import re
import threading
import time

import pytest
import requests

from conftest import main_config, mint, new_dir
from prometheus_text import ExpositionError, parse, value
from scripts.services.httpd import MODULES_DIR, Httpd
from storage_helpers import storage_config
from upload_helpers import bearer, tar_of, unique_scope

# prefork's four children: four requests held open at once are four processes.
FOUR_PROCESSES = f"""LoadModule mpm_prefork_module {MODULES_DIR}/mod_mpm_prefork.so
StartServers 4
ServerLimit 4
MaxRequestWorkers 4
MinSpareServers 1
MaxSpareServers 4
"""

METRICS_LOCATIONS = """
<Location "/artifacts-metrics">
    SetHandler artifacts-metrics
    Require ip 127.0.0.1
</Location>
<Location "/metrics-elsewhere">
    SetHandler artifacts-metrics
    Require ip 192.0.2.1
</Location>
<Location "/server-status">
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
"""


def start_server(workdir, artifact_root, name, extra=""):
    server_dir = new_dir(workdir, name)
    server = Httpd(server_dir, new_dir(workdir, name + "-docroot"), extra_modules=("status", "authz_host"),
                   mpm=FOUR_PROCESSES)
    server.write_config(main_config(workdir, artifact_root, extra + METRICS_LOCATIONS))
    server.start()
    return server


@pytest.fixture(scope="module")
def server(workdir, artifact_root):
    server = start_server(workdir, artifact_root, "httpd-metrics")
    yield server
    server.stop()


def scrape(server):
    response = requests.get(server.url + "/artifacts-metrics", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = parse(response.text)
    try:  # Debian's python3-prometheus-client reads it too, when installed
        from prometheus_client.parser import text_string_to_metric_families
        names = {family.name for family in text_string_to_metric_families(response.text)}
        assert "artifacts_files_stored" in names or "artifacts_files_stored_total" in names
    except ImportError:
        pass
    return families


def slow_body(data, hold_seconds):
    """A chunked body that waits before its last chunk: the request holds its worker meanwhile."""
    yield data[:10]
    time.sleep(hold_seconds)
    yield data[10:]


def test_parser_refuses_what_a_scraper_could_misread():
    good = "# TYPE a counter\na 1\n"
    assert parse(good)["a"]["samples"] == [("a", {}, 1.0)]
    for bad in ("a 1\n",                                            # no TYPE
                "# TYPE a counter\na 1",                            # no final newline
                "# TYPE a counter\na{x=\"1} 1\n",                   # unterminated label
                "# TYPE a counter\na{x=\"\\t\"} 1\n",               # unknown escape
                "# TYPE a counter\na 1\na 2\n",                     # repeated series
                "# TYPE a counter\na -1\n",                         # falling counter
                "# TYPE a counter\n# TYPE b counter\na 1\nb 1\na{x=\"y\"} 1\n",  # split family
                "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n",
                "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0\nh_count 1\n"):
        with pytest.raises(ExpositionError):
            parse(bad)


def test_uploads_from_every_child_add_up(server):
    before = scrape(server)
    scope = unique_scope("metrics")
    token = mint(scope, kinds=("tarballs", "logs"))
    log_start = server.log_size()
    results = []

    def upload(index):
        data = (f"line {index}\n" * 400).encode()
        response = requests.put(f"{server.url}/{scope}held-{index}.txt", data=slow_body(data, 1.0),
                                headers=bearer(token), timeout=60)
        results.append((response.status_code, len(data)))

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [201] * 4
    # Each upload held the one worker of its child: the audit lines name four processes.
    audit_pids = set(re.findall(r"\[pid (\d+):[^\]]*\] .*ARTF0201: stored " + re.escape(scope),
                                server.log_since(log_start)))
    assert len(audit_pids) == 4, audit_pids
    tarball = tar_of({"a.txt": b"a" * 100, "b.tar.gz": b"b" * 7})
    response = requests.post(f"{server.url}/{scope}?extract", data=tarball, headers=bearer(token), timeout=30)
    assert response.status_code == 201, response.text
    response = requests.put(f"{server.url}/{scope}empty/", headers=bearer(token), timeout=30)
    assert response.status_code == 201, response.text
    response = requests.post(f"{server.url}/{scope}?seal", headers=bearer(token), timeout=30)
    assert response.status_code == 200, response.text

    # Whichever child answers the scrape, every child's counts are there, each scrape alike.
    for _ in range(4):
        after = scrape(server)
        stored = sum(size for _, size in results) + 100

        def grew(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        assert grew("artifacts_files_stored_total", store="filesystem", kind="logs") == 5
        # The manifest the seal writes is stored by the seal, not counted as an upload.
        assert grew("artifacts_bytes_stored_total", store="filesystem", kind="logs") == stored
        assert grew("artifacts_files_stored_total", store="filesystem", kind="tarballs") == 1
        assert grew("artifacts_bytes_stored_total", store="filesystem", kind="tarballs") == 7
        assert grew("artifacts_archives_extracted_total", store="filesystem") == 1
        assert grew("artifacts_directories_made_total", store="filesystem") == 1
        assert grew("artifacts_seals_total", store="filesystem") == 1


def test_retries_and_refusals_are_counted_apart(server):
    before = scrape(server)
    scope = unique_scope("metrics")
    token = mint(scope)
    url = f"{server.url}/{scope}same.txt"
    assert requests.put(url, data=b"same\n", headers=bearer(token), timeout=30).status_code == 201
    assert requests.put(url, data=b"same\n", headers=bearer(token), timeout=30).status_code == 200
    assert requests.put(url, data=b"other\n", headers=bearer(token), timeout=30).status_code == 409
    assert requests.put(url, data=b"x", headers=bearer("not-a-token"), timeout=30).status_code == 401
    assert requests.put(f"{server.url}/elsewhere/x.txt", data=b"x", headers=bearer(token),
                        timeout=30).status_code == 403
    assert requests.put(f"{server.url}/{scope}x.exe", data=b"x", headers=bearer(token),
                        timeout=30).status_code == 403
    after = scrape(server)
    assert value(after, "artifacts_files_stored_total", store="filesystem", kind="logs") - \
        value(before, "artifacts_files_stored_total", store="filesystem", kind="logs") == 1
    for code in ("exists", "invalid_token", "out_of_scope", "wrong_kind"):
        assert value(after, "artifacts_refusals_total", code=code) - \
            value(before, "artifacts_refusals_total", code=code) == 1, code


def test_pages_and_indexes_are_counted(server):
    scope = unique_scope("metrics")
    log = b"2026-11-25 10:00:00.000 1 INFO nova [-] started\n" * 50
    assert requests.put(f"{server.url}/{scope}job-output.txt", data=log, headers=bearer(mint(scope)),
                        timeout=30).status_code == 201
    before = scrape(server)
    page = requests.get(f"{server.url}/{scope}job-output.txt", headers={"Accept": "text/html",
                                                                        "Accept-Encoding": "identity"}, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    raw = requests.get(f"{server.url}/{scope}job-output.txt", headers={"Accept": "*/*"}, timeout=30)
    assert raw.content == log
    assert requests.get(f"{server.url}/{scope}", timeout=30).status_code == 200
    assert requests.get(f"{server.url}/{scope}?format=json", timeout=30).status_code == 200
    after = scrape(server)
    assert value(after, "artifacts_log_pages_total") - value(before, "artifacts_log_pages_total") == 1
    assert value(after, "artifacts_log_bytes_read_total") - value(before, "artifacts_log_bytes_read_total") == len(log)
    assert value(after, "artifacts_log_bytes_rendered_total") - \
        value(before, "artifacts_log_bytes_rendered_total") == len(page.content)
    for page_format in ("html", "json"):
        assert value(after, "artifacts_index_pages_total", format=page_format) - \
            value(before, "artifacts_index_pages_total", format=page_format) == 1


def test_counters_survive_a_graceful_restart(server):
    scope = unique_scope("metrics")
    assert requests.put(f"{server.url}/{scope}before.txt", data=b"before\n", headers=bearer(mint(scope)),
                        timeout=30).status_code == 201
    before = scrape(server)
    old_children = set(server.live_children())
    server.reconfigure(server.body)
    assert not old_children & set(server.live_children()), "the children were not replaced"
    after = scrape(server)
    for name, labels in (("artifacts_files_stored_total", {"store": "filesystem", "kind": "logs"}),
                         ("artifacts_counters_start_time_seconds", {}),
                         ("artifacts_index_pages_total", {"format": "html"})):
        assert value(after, name, **labels) == value(before, name, **labels) > 0, name
    assert requests.put(f"{server.url}/{scope}after.txt", data=b"after\n", headers=bearer(mint(scope)),
                        timeout=30).status_code == 201
    assert value(scrape(server), "artifacts_files_stored_total", store="filesystem", kind="logs") == \
        value(before, "artifacts_files_stored_total", store="filesystem", kind="logs") + 1


def test_access_is_the_operators_to_grant(server):
    assert requests.get(server.url + "/metrics-elsewhere", timeout=30).status_code == 403
    response = requests.post(server.url + "/artifacts-metrics", data=b"x", timeout=30)
    assert response.status_code == 405
    assert requests.head(server.url + "/artifacts-metrics", timeout=30).status_code == 200


def test_server_status_has_the_modules_line(server):
    families = scrape(server)
    stored = sum(value(families, "artifacts_files_stored_total", store=store, kind=kind)
                 for store in ("filesystem", "swift") for kind in ("logs", "tarballs"))
    text = requests.get(server.url + "/server-status?auto", timeout=30).text
    match = re.search(r"^ArtifactsSummary: (\d+) files stored \((\d+) bytes\), (\d+) uploads refused", text, re.M)
    assert match, text
    assert int(match.group(1)) == stored
    html = requests.get(server.url + "/server-status", timeout=30).text
    assert "<h2>mod_artifacts</h2>" in html


def test_backend_latency_and_connections_with_swift(workdir, artifact_root, mariadb, swift):
    server = start_server(workdir, artifact_root, "httpd-metrics-swift",
                          storage_config(workdir, mariadb, swift, "ArtifactsStore swift\n"))
    try:
        scope = unique_scope("metrics")
        response = requests.put(f"{server.url}/{scope}job-output.txt", data=b"to swift\n" * 100,
                                headers=bearer(mint(scope)), timeout=30)
        assert response.status_code == 201, response.text
        assert requests.get(f"{server.url}/{scope}job-output.txt", headers={"Accept": "*/*"},
                            timeout=30).content == b"to swift\n" * 100
        families = scrape(server)
        assert value(families, "artifacts_files_stored_total", store="swift", kind="logs") == 1
        for backend in ("catalogue", "swift"):
            count = value(families, "artifacts_backend_request_duration_seconds_count", backend=backend)
            assert count >= 2, backend
            assert value(families, "artifacts_backend_request_duration_seconds_sum", backend=backend) > 0
            assert value(families, "artifacts_backend_connections_opened_total", backend=backend) >= 1
            assert value(families, "artifacts_backend_errors_total", backend=backend) == 0
    finally:
        server.stop()
