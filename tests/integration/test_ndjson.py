"""?format=ndjson through a real httpd: one JSON object per line of any file, with the
timestamps, levels and filters of the log page, decoded from gzip, compressed for clients
that take it, and streamed with flat memory."""
import gzip
import json
import os
import re

import pytest
import requests

from conftest import new_dir
from test_htmlify import get_page, own_level, source_lines

ISO = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)\.(\d{3})")


def get_ndjson(url, **kwargs):
    reply = requests.get(url, params={"format": "ndjson", **kwargs.pop("params", {})}, **kwargs)
    assert reply.status_code == 200, reply.text[:300]
    assert reply.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert reply.text.endswith("\n") or reply.text == ""
    return reply, [json.loads(line) for line in reply.text.splitlines()]


def expected_message(raw_line):
    if raw_line.endswith(b"\r"):
        raw_line = raw_line[:-1]
    return raw_line.decode("utf-8", "per_byte_replacement")


@pytest.mark.parametrize("name", ["screen-n-cpu.txt", "job-output.txt", "syslog.txt", "mixed.txt"])
def test_every_line_is_an_object_with_its_level_and_timestamp(httpd, samples, name):
    _, objects = get_ndjson(f"{httpd.url}/htmlify/samples/{name}", headers={"Accept": "*/*"})
    lines = source_lines(samples[name])
    assert [entry["line"] for entry in objects] == list(range(1, len(lines) + 1))
    level = stamp = None
    for raw, entry in zip(lines, objects):
        message = expected_message(raw)
        assert entry["message"] == message, f"line {entry['line']}"
        level = own_level(message) or level
        assert entry["level"] == level, f"line {entry['line']}: {message[:120]}"
        match = ISO.match(message)
        if match:
            stamp = f"{match.group(1)}T{match.group(2)}.{match.group(3)}Z"
        if name != "syslog.txt":  # syslog stamps have no year: those lines keep the last one
            assert entry["@timestamp"] == stamp, f"line {entry['line']}"


def test_filters_keep_the_lines_the_page_keeps(httpd, samples):
    url = f"{httpd.url}/htmlify/samples/screen-n-cpu.txt"
    for params in ({"level": "ERROR"}, {"level": "WARNING", "grep": "nova"}, {"grep": "<Conflict", "limit": "3"}):
        _, page = get_page(url, params=params)
        _, objects = get_ndjson(url, params=params)
        assert [entry["line"] for entry in objects] == [line["number"] for line in page.lines], params
        assert objects, params
    _, errors = get_ndjson(url, params={"level": "ERROR"})
    assert {entry["level"] for entry in errors} <= {"ERROR", "CRITICAL", "TRACE"}


def test_gzip_sources_are_decoded_and_the_feed_is_compressed_for_those_who_take_it(httpd, samples, artifact_root):
    directory = new_dir(os.path.join(artifact_root, "ndjson"), "gz")
    path = os.path.join(directory, "mixed.txt.gz")
    with open(path, "wb") as out:
        out.write(gzip.compress(samples["mixed.txt"]))
    os.chmod(path, 0o644)
    lines = source_lines(samples["mixed.txt"])
    for requested in ("mixed.txt", "mixed.txt.gz"):
        reply, objects = get_ndjson(f"{httpd.url}/ndjson/gz/{requested}", headers={"Accept-Encoding": "gzip"})
        assert reply.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in reply.headers["Vary"]
        assert "Content-Length" not in reply.headers and "ETag" not in reply.headers
        assert len(objects) == len(lines)
        assert objects[-1]["message"] == expected_message(lines[-1])
    plain = requests.get(f"{httpd.url}/ndjson/gz/mixed.txt?format=ndjson", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert len(plain.text.splitlines()) == len(lines)


def test_any_file_and_html_are_lines_but_raw_and_ranges_get_the_bytes(httpd, artifact_root):
    directory = new_dir(os.path.join(artifact_root, "ndjson"), "other")
    files = {"setup.cfg": b"[metadata]\nname = x\n", "report.txt": b"<!DOCTYPE html>\n<p>\"x\"</p>\n"}
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as out:
            out.write(data)
        os.chmod(os.path.join(directory, name), 0o644)
    for name, data in files.items():
        _, objects = get_ndjson(f"{httpd.url}/ndjson/other/{name}")
        assert [entry["message"] for entry in objects] == data.decode().splitlines()
    raw = requests.get(f"{httpd.url}/ndjson/other/setup.cfg?format=ndjson&raw")
    assert raw.content == files["setup.cfg"]
    ranged = requests.get(f"{httpd.url}/ndjson/other/setup.cfg?format=ndjson", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.content == files["setup.cfg"][:10]
    missing = requests.get(f"{httpd.url}/ndjson/other/nothing.txt?format=ndjson")
    assert missing.status_code == 404


def test_a_large_log_streams_with_flat_memory(httpd, artifact_root):
    """The children's peak RSS must not follow the file's size."""
    directory = new_dir(os.path.join(artifact_root, "ndjson"), "large")
    path = os.path.join(directory, "big.txt")
    line = b"2026-11-25 21:50:01.123 4242 INFO nova.compute [-] a line of a long job \"quoted\"\n"
    block = line * (1 << 14)
    blocks = (192 << 20) // len(block)
    with open(path, "wb") as out:
        for _ in range(blocks):
            out.write(block)
    os.chmod(path, 0o644)
    try:
        get_ndjson(f"{httpd.url}/htmlify/samples/syslog.txt")  # warm every child up
        before = httpd.peak_rss_kib()
        count = 0
        tail = b""
        with requests.get(f"{httpd.url}/ndjson/large/big.txt?format=ndjson", stream=True, timeout=300,
                          headers={"Accept-Encoding": "identity"}) as reply:
            assert reply.status_code == 200
            for chunk in reply.iter_content(1 << 20):
                data = tail + chunk
                count += data.count(b"\n")
                tail = data[data.rfind(b"\n") + 1:]
        assert count == blocks * (1 << 14)
        growth_mib = (httpd.peak_rss_kib() - before) / 1024
        assert growth_mib < 8, f"children's peak RSS grew by {growth_mib:.1f} MiB"
    finally:
        os.unlink(path)
