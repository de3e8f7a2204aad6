"""HTMLIFY through a real httpd: every line shape of the generated sample set, the filter
parameters, negotiation (browser vs curl vs ?raw, HEAD, Range), gzip sources, HTML
passthrough, hostile text rendered inert, and flat memory on a 1 GiB log."""
import codecs
import gzip
import html.parser
import os
import re
import subprocess
import sys
import time

import pytest
import requests

from conftest import eventually, main_config, mint, new_dir
from upload_helpers import bearer, unique_scope

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "data"))
import make_logs  # noqa: E402

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Encoding": "gzip, deflate"}
LEVELS = ("DEBUG", "INFO", "AUDIT", "TRACE", "WARNING", "ERROR", "CRITICAL")
# A line's class is its level's initial; INFO, the page's own colour, has none.
LEVEL_CLASSES = {"D": "DEBUG", "A": "AUDIT", "T": "TRACE", "W": "WARNING", "E": "ERROR", "C": "CRITICAL"}
SEVERITY = {name: rank for rank, name in enumerate(LEVELS)}

# A line's own level, as an oracle independent of the C++ scanner: regular expressions for
# the shapes make_logs.py writes.
LEVEL = r"(DEBUG|INFO|AUDIT|TRACE|WARNING|WARN|ERROR|CRITICAL)"
OSLO = rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \d+ {LEVEL} "
OWN_LEVEL = [
    re.compile(rf"^{OSLO}"),
    re.compile(rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \| (?:[\w.-]+ \| )?{OSLO}"),
    re.compile(rf"^[A-Z][a-z]{{2}} [ \d]\d \d\d:\d\d:\d\d\.\d+ \S+ \S+: {LEVEL} "),
    re.compile(rf"^{LEVEL}:"),
]
JOURNAL = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d+ \S+ ")


def own_level(line):
    for pattern in OWN_LEVEL:
        match = pattern.match(line)
        if match:
            return {"WARN": "WARNING"}.get(match.group(1), match.group(1))
    return "INFO" if JOURNAL.match(line) else None


def _per_byte_replacement(error):
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error("per_byte_replacement", _per_byte_replacement)
CONTROL_PICTURES = {byte: chr(0x2400 + byte) for byte in range(0x20) if byte != 0x09}
CONTROL_PICTURES[0x7F] = "\u2421"


def expected_text(raw_line):
    """What the page shows of a source line: invalid UTF-8 as U+FFFD per byte, controls as pictures."""
    if raw_line.endswith(b"\r"):
        raw_line = raw_line[:-1]
    return raw_line.decode("utf-8", "per_byte_replacement").translate(CONTROL_PICTURES)


def source_lines(data):
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


class Page(html.parser.HTMLParser):
    """The lines of a rendered log page, every tag and attribute seen, and the footer text."""

    def __init__(self, text):
        super().__init__()
        self.lines = []  # dicts: number, classes, text, links
        self.tags = []
        self.ids = []
        self.footer = ""
        self._line = None
        self._in_number = False
        self._in_footer = False
        self._list_count = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag in ("li", "p"):
            self._end_line()  # a line's item ends where the next begins (its end tag is implied)
        if tag == "ol":
            self._list_count = 0  # each list counts from 1
        if tag == "li" and attributes.get("id", "").startswith("L"):
            number = int(attributes["id"][1:])
            classes = [LEVEL_CLASSES[name] for name in (attributes.get("class") or "").split()]
            # CSS counts the lines; after lines left out an item says where the count goes on.
            follows = self._list_count + 1
            self._list_count = number
            expected = None if number == follows else f"counter-set:l {number}"
            assert attributes.get("style") == expected, (number, attributes)
            self._line = {"number": number, "classes": classes, "text": "", "links": [], "anchors": []}
        elif tag == "a" and self._line is not None:
            if not self._line["text"] and not self._line["links"] and attributes.get("href", "").startswith("#L"):
                # The empty link to the line, shown as its number by CSS.
                assert attributes["href"] == f"#L{self._line['number']}"
                self._in_number = True
            else:
                self._line["links"].append(attributes.get("href"))
                if "id" in attributes:
                    self._line["anchors"].append(attributes["id"])
        elif tag == "footer":
            self._in_footer = True

    def _end_line(self):
        if self._line is not None:
            self._line["text"] = self._line["text"][:-1]  # the newline that ends the item
            self.lines.append(self._line)
            self._line = None

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_number = False
        elif tag == "ol":
            self._end_line()
        elif tag == "footer":
            self._in_footer = False

    def handle_data(self, data):
        if self._in_number:
            assert not data, "the number link is empty"
        if self._line is not None and not self._in_number:
            self._line["text"] += data
        elif self._in_footer:
            self.footer += data


def get_page(url, **kwargs):
    reply = requests.get(url, headers=BROWSER, **kwargs)
    assert reply.status_code == 200, reply.text[:300]
    assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
    return reply, Page(reply.content.decode("utf-8"))


@pytest.mark.parametrize("name", ["screen-n-cpu.txt", "job-output.txt", "devstacklog.txt", "syslog.txt",
                                  "mixed.txt"])
def test_every_line_is_rendered_with_its_level(httpd, samples, name):
    reply, page = get_page(f"{httpd.url}/htmlify/samples/{name}")
    assert f"<title>/htmlify/samples/{name}</title>" in reply.text
    assert "Accept" in reply.headers["Vary"]
    assert "Content-Length" not in reply.headers and "ETag" not in reply.headers
    assert "default-src 'none'" in reply.headers["Content-Security-Policy"]
    lines = source_lines(samples[name])
    assert [line["number"] for line in page.lines] == list(range(1, len(lines) + 1))
    previous = None
    for raw, shown in zip(lines, page.lines):
        text = expected_text(raw)
        assert shown["text"] == text, f"line {shown['number']}"
        level = own_level(text) or previous
        previous = level
        assert shown["classes"] == ([level] if level not in (None, "INFO") else []), \
            f"line {shown['number']}: {text[:120]}"
    assert len(page.ids) == len(set(page.ids)), "ids are unique"
    assert f"{len(lines)} lines shown of {len(lines)}" in page.footer


def test_timestamp_anchors_and_request_id_links(httpd, samples):
    _, page = get_page(f"{httpd.url}/htmlify/samples/screen-n-cpu.txt")
    first = page.lines[0]
    stamp = first["text"][:23]  # "2026-11-25 21:50:01.xyz"
    anchor = "_" + stamp.replace(" ", "_").replace(":", "_").replace(".", "_")
    assert first["anchors"] == [anchor] and f"#{anchor}" in first["links"]
    anchored = [line for line in page.lines if line["anchors"]]
    stamps = {line["text"][:23] for line in page.lines if re.match(r"\d{4}-", line["text"])}
    assert len(anchored) == len(stamps), "one anchor per distinct timestamp"
    with_id = next(line for line in page.lines if "[req-" in line["text"])
    request_id = re.search(r"req-[0-9a-f-]{36}", with_id["text"]).group(0)
    assert f"?grep={request_id[4:]}" in with_id["links"]  # the UUID finds the same lines


def test_level_filter_keeps_whole_tracebacks(httpd, samples):
    _, everything = get_page(f"{httpd.url}/htmlify/samples/screen-n-cpu.txt")
    by_number = {line["number"]: line for line in everything.lines}
    _, page = get_page(f"{httpd.url}/htmlify/samples/screen-n-cpu.txt?level=ERROR")
    shown = {line["number"] for line in page.lines}
    expected = set()
    for line in everything.lines:
        own = own_level(line["text"])
        continues = own in (None, "TRACE") and line["number"] - 1 in expected
        if continues or SEVERITY[(line["classes"] or ["INFO"])[0]] >= SEVERITY["ERROR"]:
            expected.add(line["number"])
    assert shown == expected
    assert any(by_number[n]["text"].startswith("Traceback") for n in shown)
    assert any(" TRACE " in by_number[n]["text"] for n in shown)
    assert all(by_number[n]["classes"][0] in ("ERROR", "CRITICAL", "TRACE") for n in shown)


def test_grep_and_limit(httpd, samples):
    text = samples["screen-n-cpu.txt"].decode()
    request_id = re.search(r"req-[0-9a-f-]{36}", text).group(0)
    _, page = get_page(f"{httpd.url}/htmlify/samples/screen-n-cpu.txt", params={"grep": request_id})
    assert len(page.lines) == sum(request_id in line for line in text.split("\n"))
    assert all(request_id in line["text"] for line in page.lines)
    _, page = get_page(f"{httpd.url}/htmlify/samples/screen-n-cpu.txt", params={"grep": "<Conflict", "limit": "3"})
    assert len(page.lines) == 3 and all("<ConflictException>" in line["text"] for line in page.lines)
    assert "stopped at the limit of 3 lines" in page.footer
    _, page = get_page(f"{httpd.url}/htmlify/samples/screen-n-cpu.txt?level=LOUD&limit=x")
    assert len(page.lines) == len(source_lines(samples["screen-n-cpu.txt"]))
    reply = requests.get(f"{httpd.url}/htmlify/samples/screen-n-cpu.txt?level=LOUD", headers=BROWSER)
    assert "unknown level &#39;LOUD&#39; ignored" in reply.text


def test_clients_that_do_not_ask_for_html_get_the_bytes(httpd, samples):
    url = f"{httpd.url}/htmlify/samples/job-output.txt"
    original = samples["job-output.txt"]
    curl = subprocess.run(["curl", "-sfD", "-", url], capture_output=True, check=True)
    headers, body = curl.stdout.split(b"\r\n\r\n", 1)
    assert body == original
    assert re.search(rb"(?i)\r\nvary: [^\r]*accept", headers)
    assert re.search(rb"(?i)\r\ncontent-length: %d\r\n" % len(original), headers)
    for reply in (requests.get(url), requests.get(url + "?raw", headers=BROWSER),
                  requests.get(url, headers={"Accept": "text/plain"})):
        assert reply.status_code == 200 and reply.content == original
        assert reply.headers["Content-Type"].startswith("text/plain")
    head = requests.head(url, headers=BROWSER)
    assert head.headers["Content-Type"].startswith("text/plain")
    assert head.headers["Content-Length"] == str(len(original))
    ranged = requests.get(url, headers={**BROWSER, "Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.content == original[10:20]


def test_files_not_named_by_artifactshtmlify_are_untouched(httpd, artifact_root):
    path = os.path.join(artifact_root, "htmlify", "other.json")
    with open(path, "w") as out:
        out.write('{"level": "ERROR"}\n')
    os.chmod(path, 0o644)
    reply = requests.get(f"{httpd.url}/htmlify/other.json", headers=BROWSER)
    assert reply.content == b'{"level": "ERROR"}\n'
    assert "Accept" not in reply.headers.get("Vary", "")


@pytest.fixture(scope="module")
def compressed_only(artifact_root, samples):
    directory = new_dir(os.path.join(artifact_root, "htmlify"), "gz")
    for name in ("screen-n-cpu.txt", "mixed.txt"):
        with open(os.path.join(directory, name + ".gz"), "wb") as out:
            out.write(gzip.compress(samples[name]))
        os.chmod(os.path.join(directory, name + ".gz"), 0o644)
    return directory


@pytest.mark.parametrize("requested", ["screen-n-cpu.txt", "screen-n-cpu.txt.gz", "mixed.txt"])
def test_gzip_sources_are_decoded_before_rendering(httpd, samples, compressed_only, requested):
    name = requested.removesuffix(".gz")
    reply, page = get_page(f"{httpd.url}/htmlify/gz/{requested}")
    assert reply.headers["Content-Encoding"] == "gzip"  # the page's own encoding, for the browser
    lines = source_lines(samples[name])
    assert len(page.lines) == len(lines)
    assert [line["text"] for line in page.lines[:50]] == [expected_text(raw) for raw in lines[:50]]
    assert page.lines[-1]["text"] == expected_text(lines[-1])


def test_gzip_page_is_not_sent_as_gzip_of_the_file(httpd, compressed_only):
    """The page is the page, whatever the file's encoding: not the .gz bytes labelled gzip.
    A browser gets it gzip-encoded; a client that does not take gzip gets it as it is."""
    reply = requests.get(f"{httpd.url}/htmlify/gz/screen-n-cpu.txt", headers=BROWSER, stream=True)
    body = reply.raw.read(decode_content=False)
    assert reply.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in reply.headers["Vary"]
    assert gzip.decompress(body).startswith(b"<!DOCTYPE html>")
    plain = requests.get(f"{httpd.url}/htmlify/gz/screen-n-cpu.txt",
                         headers={**BROWSER, "Accept-Encoding": "identity"}, stream=True)
    assert "Content-Encoding" not in plain.headers
    assert plain.raw.read(decode_content=False) == gzip.decompress(body)
    # curl still gets the original compressed bytes of the .gz name.
    with open(os.path.join(compressed_only, "screen-n-cpu.txt.gz"), "rb") as packed:
        assert requests.get(f"{httpd.url}/htmlify/gz/screen-n-cpu.txt.gz", stream=True).raw.read() == packed.read()


def test_uploaded_gzip_log_renders(httpd, artifact_root):
    scope = unique_scope("htmlify-upload")
    text = b"2026-11-25 21:50:01.100 7 ERROR nova [-] uploaded compressed\nTraceback (most recent call last):\n"
    put = requests.put(f"{httpd.url}/{scope}up.txt", data=gzip.compress(text),
                       headers={**bearer(mint(scope)), "Content-Encoding": "gzip"})
    assert put.status_code == 201, put.text
    assert os.path.exists(os.path.join(artifact_root, scope + "up.txt.gz"))
    _, page = get_page(f"{httpd.url}/{scope}up.txt")
    assert [(line["classes"], line["text"]) for line in page.lines] == [
        (["ERROR"], "2026-11-25 21:50:01.100 7 ERROR nova [-] uploaded compressed"),
        (["ERROR"], "Traceback (most recent call last):")]


def test_existing_html_passes_through(httpd, artifact_root):
    document = b"<!DOCTYPE html>\n<html><body><p>already a page</p></body></html>\n"
    path = os.path.join(artifact_root, "htmlify", "report.txt")
    with open(path, "wb") as out:
        out.write(document)
    os.chmod(path, 0o644)
    reply = requests.get(f"{httpd.url}/htmlify/report.txt", headers=BROWSER)
    assert reply.content == document
    assert reply.headers["Content-Length"] == str(len(document))


XSS_CORPUS = [
    b"<script>alert(1)</script>",
    b"</pre></span><script src=//evil.example/x.js></script>",
    b"\"'><img src=x onerror=alert(1)>",
    b"2026-11-25 21:50:01.100 7 ERROR x [req-javascript:alert(1)] <a href=\"javascript:alert(2)\">click</a>",
    b"2026-11-25 21:50:01.200 7 INFO x [req-0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10\"onmouseover=\"alert(3)] q",
    b"<!-- comment --> <style>body{display:none}</style> &lt;already escaped&gt; &#x3c;",
    b"<iframe srcdoc='<script>alert(4)</script>'></iframe>\x00\x1b]0;title\x07",
    b"<svg onload=alert(5)><math><mi//xlink:href=\"data:x,<script>alert(6)</script>\">",
]


def test_hostile_text_is_rendered_inert(httpd, artifact_root):
    path = os.path.join(artifact_root, "htmlify", "hostile.log")
    with open(path, "wb") as out:
        out.write(b"\n".join(XSS_CORPUS) + b"\n")
    os.chmod(path, 0o644)
    reply, page = get_page(f"{httpd.url}/htmlify/hostile.log")
    allowed = {"html", "head", "meta", "title", "style", "body", "nav", "span", "a", "form", "input", "button",
               "ol", "li", "p", "footer"}
    assert {tag for tag, _ in page.tags} <= allowed
    assert sum(1 for tag, _ in page.tags if tag == "style") == 1
    for tag, attrs in page.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, attrs)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:")), (tag, attrs)
    assert [line["text"] for line in page.lines] == [expected_text(line) for line in XSS_CORPUS]
    hrefs = [href for line in page.lines for href in line["links"]]
    assert "?grep=0b7c1a6e-2f4d-4c8e-9a51-3d2e7f6a9b10" in hrefs
    assert not any("javascript" in href for href in hrefs)


@pytest.mark.expected_errors(r"AH10244: invalid URI path")
def test_damaged_gzip_shows_what_it_can_and_logs_why(httpd, artifact_root, samples):
    packed = gzip.compress(samples["screen-n-cpu.txt"])
    path = os.path.join(artifact_root, "htmlify", "cut.txt.gz")
    with open(path, "wb") as out:
        out.write(packed[: len(packed) // 2])
    os.chmod(path, 0o644)
    start = httpd.log_size()
    _, page = get_page(f"{httpd.url}/htmlify/cut.txt")
    assert 100 < len(page.lines) < len(source_lines(samples["screen-n-cpu.txt"]))
    assert "the gzip data ends early" in requests.get(f"{httpd.url}/htmlify/cut.txt", headers=BROWSER).text
    eventually(lambda: "ARTF0301" in httpd.log_since(start), seconds=5)
    assert re.search(r"ARTF0301: .*cut\.txt\.gz: the gzip data ends early", httpd.log_since(start))


def test_one_gibibyte_log_streams_with_flat_memory(httpd, artifact_root):
    """The children's peak RSS must not follow the file's size: 1 GiB in, ~1.3 GiB of page out."""
    path = os.path.join(artifact_root, "htmlify", "huge.txt")
    size = 1 << 30
    with open(path, "wb") as out:
        make_logs.stream(size, out)
    os.chmod(path, 0o644)
    try:
        get_page(f"{httpd.url}/htmlify/samples/syslog.txt")  # warm every child up
        before = httpd.peak_rss_kib()
        started = time.monotonic()
        received = 0
        tail = b""
        with requests.get(f"{httpd.url}/htmlify/huge.txt", headers=BROWSER, stream=True, timeout=300) as reply:
            assert reply.status_code == 200
            for chunk in reply.iter_content(1 << 20):
                received += len(chunk)
                tail = (tail + chunk)[-4096:]
        seconds = time.monotonic() - started
        growth_mib = (httpd.peak_rss_kib() - before) / 1024
        print(f"\n1 GiB log: {received / 2**20:.0f} MiB of page in {seconds:.1f} s "
              f"({size / 2**20 / seconds:.0f} MiB/s of log), children's peak RSS {before / 1024:.1f} MiB "
              f"+{growth_mib:.1f} MiB")
        assert received > size
        assert tail.endswith(b"</html>\n")
        assert growth_mib < 8, f"children's peak RSS grew by {growth_mib:.1f} MiB"
    finally:
        os.unlink(path)


def test_artifactshtmlify_off_addoutputfilter_and_filterprovider(httpd, workdir, artifact_root):
    """Off in a nested <Location> stops it; Apache's AddOutputFilter and mod_filter's
    FilterProvider attach it anywhere, with the same negotiation."""
    plain = new_dir(workdir, "plain-docroot")
    for name in ("build.log", "console.out"):
        with open(os.path.join(plain, name), "w") as out:
            out.write("2026-11-25 21:50:01.100 7 WARNING x [-] outside the artifact tree\n")
        os.chmod(os.path.join(plain, name), 0o644)
    path = os.path.join(artifact_root, "htmlify-off", "a.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.chmod(os.path.dirname(path), 0o755)
    with open(path, "w") as out:
        out.write("not a page\n")
    os.chmod(path, 0o644)
    extra = f"""
<Location "/htmlify-off">
    ArtifactsHtmlify Off
</Location>
Alias "/plain" "{plain}"
<Directory "{plain}">
    Require all granted
    AddOutputFilter HTMLIFY .log
</Directory>
FilterDeclare logpages
FilterProvider logpages HTMLIFY "%{{REQUEST_URI}} =~ m#\\.out$#"
<Location "/plain">
    FilterChain logpages
</Location>
"""
    httpd.reconfigure(main_config(workdir, artifact_root, extra))
    try:
        assert requests.get(f"{httpd.url}/htmlify-off/a.txt", headers=BROWSER).content == b"not a page\n"
        for name in ("build.log", "console.out"):
            _, page = get_page(f"{httpd.url}/plain/{name}")
            assert page.lines[0]["classes"] == ["WARNING"]
            assert requests.get(f"{httpd.url}/plain/{name}").text.startswith("2026-11-25")
    finally:
        httpd.reconfigure(main_config(workdir, artifact_root))
