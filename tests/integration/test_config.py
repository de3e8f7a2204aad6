"""Directives: a bad value fails `apache2 -t` naming the directive; merging and the
mapping of a <Location> onto ArtifactsRoot (default: DocumentRoot)."""
import os

import pytest
import requests

from scripts.services.httpd import Httpd


@pytest.fixture
def checker(workdir, request):
    """An httpd that is only ever config-tested, never started."""
    directory = os.path.join(workdir, "configtest-" + request.node.name.replace("[", "-").replace("]", ""))
    os.makedirs(directory, exist_ok=True)
    return Httpd(directory, workdir)


@pytest.mark.parametrize("body, message", [
    ("ArtifactsRoot /does/not/exist\n", "ArtifactsRoot '/does/not/exist' is not an existing directory"),
    ("ArtifactsCORS ftp://x\n", "ArtifactsCORS takes *, Off or an origin"),
    ("ArtifactsCORS \"https://a.example, https://b.example\"\n", "ArtifactsCORS takes a single origin"),
    ("ArtifactsEngine maybe\n", "ArtifactsEngine must be On or Off"),
    ("<LocationMatch \"^/x\">\nArtifactsEngine On\n</LocationMatch>\n", "needs a plain <Location"),
    ("<Location ~ \"^/x\">\nArtifactsEngine On\n</Location>\n", "needs a plain <Location"),
    ("<Directory /tmp>\nArtifactsEngine On\n</Directory>\n", "ArtifactsEngine cannot occur within <Directory"),
    ("ArtifactsIndexIgnore \"a/b\"\n", "ArtifactsIndexIgnore takes file name patterns without '/'"),
    ("ArtifactsIndex sometimes\n", "ArtifactsIndex must be On or Off"),
    ("ArtifactsIndexHtml sometimes\n", "ArtifactsIndexHtml must be On or Off"),
    ("ArtifactsTokenKey k1 /does/not/exist\n", "ArtifactsTokenKey: cannot read the secret of key 'k1'"),
    ("ArtifactsTokenKey k.1 /etc/hostname\n", "ArtifactsTokenKey: key id 'k.1' must be"),
    ("ArtifactsTokenKey k1 {short_key}\n", "is shorter than 16 bytes"),
    ("ArtifactsStateDir {state}\nArtifactsTokenKey k1 {good_key}\nArtifactsTokenKey k1 {good_key}\n",
     "key id 'k1' is given twice"),
    ("ArtifactsTokenKey k1 {good_key}\n", "ArtifactsTokenKey is set for"),
    ("ArtifactsTokenLeeway soon\n", "ArtifactsTokenLeeway takes a duration"),
    ("ArtifactsTokenMaxLifetime 0\n", "ArtifactsTokenMaxLifetime takes a duration"),
    ("ArtifactsMaxFileSize 2GB\n", "ArtifactsMaxFileSize takes a size such as 2G"),
    ("ArtifactsKind \"lo gs\" \"*.txt\"\n", "ArtifactsKind: kind name 'lo gs' must be"),
    ("ArtifactsKind logs \"logs/*.txt\"\n", "ArtifactsKind takes file name patterns without '/'"),
    ("<Location /x>\nArtifactsStateDir /tmp\n</Location>\n", "ArtifactsStateDir cannot occur within"),
    ("ArtifactsSync sometimes\n", "ArtifactsSync must be On or Off"),
    ("ArtifactsContentPolicy\n", "ArtifactsContentPolicy takes a Content-Security-Policy or Off"),
    ("ArtifactsContentPolicy \"sandbox\x01\"\n", "printable ASCII without line breaks"),
    ("ArtifactsFrameAncestors 'self'; script-src *\n", "frame-ancestors takes source expressions"),
    ("ArtifactsFrameAncestors 'self', https://x.example\n", "frame-ancestors takes source expressions"),
    ("ArtifactsGzipInnerTypes text\n", "takes media types such as text/*"),
    ("ArtifactsGzipInnerTypes text/plain;q=1\n", "takes media types such as text/*"),
    ("ArtifactsGzipInnerTypes text/* None\n", "None cannot be mixed with media types"),
    ("ArtifactsHtmlifyMaxBytes 0\n", "ArtifactsHtmlifyMaxBytes takes a size such as 2G"),
    ("ArtifactsHtmlify \"logs/*.txt\"\n", "ArtifactsHtmlify takes file name patterns without '/'"),
    ("ArtifactsHtmlify Off \"*.txt\"\n", "ArtifactsHtmlify Off cannot be mixed with file name patterns"),
    ("ArtifactsHtmlify \"*.txt\"\nArtifactsHtmlify off\n", "ArtifactsHtmlify Off cannot be mixed"),
    ("ArtifactsCompress \"logs/*.txt\"\n", "ArtifactsCompress takes file name patterns without '/'"),
    ("ArtifactsCompress \"*.txt\" Off\n", "ArtifactsCompress Off cannot be mixed with file name patterns"),
    ("ArtifactsNotify http://127.0.0.1:9/hook\n", "ArtifactsNotify takes a URL, the events"),
    ("ArtifactsNotify hooks.example key-file={good_key}\n", "is not an http:"),
    ("ArtifactsNotify http://127.0.0.1:9/hook seal\n", "ArtifactsNotify needs key-file=FILE"),
    ("ArtifactsNotify http://127.0.0.1:9/hook always key-file={good_key}\n", "unknown word 'always'"),
    ("ArtifactsNotify http://127.0.0.1:9/hook key-file=/does/not/exist\n", "cannot read a key of at least 16"),
    ("ArtifactsCatalogue \"user=a password=secret\"\n", "give the password in a file"),
    ("ArtifactsCatalogue \"user=a password-file=/does/not/exist\"\n", "cannot read password-file '/does/not/exist'"),
    ("ArtifactsCatalogue \"user=a password-file={good_key} colour=blue\"\n", "unknown setting 'colour'"),
    ("ArtifactsCatalogue \"host=db\"\n", "ArtifactsCatalogue: user= is required"),
    ("ArtifactsSwift v2 http://127.0.0.1/auth u key-file={good_key}\n", "the auth version must be v1"),
    ("ArtifactsSwift v1 http://127.0.0.1/auth u key=secret\n", "never in the configuration"),
    ("ArtifactsSwift v3 http://127.0.0.1/v3 u password-file={good_key}\n", "v3 needs project="),
    ("ArtifactsSwiftContainer a/b\n", "a container name is 1 to 241 bytes without '/'"),
    # 241 + a shard's "-999" + the twin's "-overwrites" is Swift's 256.
    pytest.param("ArtifactsSwiftContainer " + "c" * 242 + "\n", "a container name is 1 to 241 bytes without '/'",
                 id="container-name-242-bytes"),
    ("ArtifactsSwiftContainerShards 0\n", "takes a number of containers from 1 to 1000"),
    ("ArtifactsStore s3\n", "ArtifactsStore: takes fs or swift"),
    ("ArtifactsSwiftServe mirror\n", "takes proxy, or redirect"),
    ("ArtifactsSwiftServe redirect 1s\n", "a temp URL lifetime from 10s to 7d"),
    ("ArtifactsRetention 10s\n", "at least 60s"),
    ("ArtifactsStore swift\n", "ArtifactsStore swift needs ArtifactsCatalogue"),
    ("ArtifactsSwift v1 http://127.0.0.1/auth u key-file={good_key}\nArtifactsSwiftListing On\n",
     "ArtifactsSwift needs ArtifactsSwiftContainer"),
    ("ArtifactsSwiftListing On\n", "need ArtifactsSwift"),
    ("ArtifactsSwift v1 http://127.0.0.1/auth u key-file={good_key}\nArtifactsSwiftContainer c\n"
     "ArtifactsSwiftListing On\nArtifactsSwiftContainerShards 4\n", "cannot be combined with ArtifactsSwiftContainerShards"),
    ("ArtifactsSwift v1 http://127.0.0.1/auth u key-file={good_key}\nArtifactsSwiftContainer c\n"
     "ArtifactsSwiftListing On\nArtifactsSwiftServe redirect\n", "needs temp-url-key-file="),
])
def test_bad_directive_fails_configtest(checker, body, message, tmp_path):
    (tmp_path / "short.key").write_text("tooshort\n")
    (tmp_path / "good.key").write_text("a-long-enough-secret-0123456789\n")
    checker.write_config(body.format(short_key=tmp_path / "short.key", good_key=tmp_path / "good.key",
                                     state=tmp_path / "state"))
    result = checker.configtest()
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_good_configuration_passes(checker, artifact_root):
    checker.write_config(f"""
ArtifactsRoot "{artifact_root}"
ArtifactsCORS https://viewer.example.org
<Location "/logs">
    ArtifactsEngine On
    ArtifactsIndexIgnore "*.swp"
</Location>
<Location "/logs/quiet">
    ArtifactsIndex Off
    ArtifactsIndexHtml Off
    ArtifactsCORS Off
</Location>
""")
    result = checker.configtest()
    assert result.returncode == 0, result.stderr


@pytest.fixture
def restore(httpd):
    original = httpd.body
    yield
    httpd.reconfigure(original)


def test_location_maps_onto_document_root_by_default(httpd, restore):
    with open(os.path.join(httpd.docroot, "hello.txt"), "w") as out:
        out.write("from the document root")
    httpd.reconfigure("""
<Location "/logs">
    ArtifactsEngine On
    ArtifactsCORS https://viewer.example.org
</Location>
<Location "/logs/quiet">
    ArtifactsCORS Off
</Location>
""")
    reply = requests.get(f"{httpd.url}/logs/hello.txt")
    assert reply.text == "from the document root"
    assert reply.headers["Access-Control-Allow-Origin"] == "https://viewer.example.org"
    assert "Origin" in reply.headers["Vary"]
    names = [entry["name"] for entry in requests.get(f"{httpd.url}/logs/?format=json").json()["entries"]]
    assert "hello.txt" in names
    redirect = requests.get(f"{httpd.url}/logs", allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"].endswith("/logs/")
    # Outside the location Apache's core answers: the same file, without our headers.
    plain = requests.get(f"{httpd.url}/hello.txt")
    assert plain.text == "from the document root"
    assert "Access-Control-Allow-Origin" not in plain.headers
    assert requests.get(f"{httpd.url}/logsfoo/hello.txt").status_code == 404
    os.makedirs(os.path.join(httpd.docroot, "quiet"), exist_ok=True)
    quiet = requests.get(f"{httpd.url}/logs/quiet/")
    assert quiet.status_code == 200
    assert "Access-Control-Allow-Origin" not in quiet.headers
