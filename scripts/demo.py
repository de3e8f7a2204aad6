"""Starts httpd with mod_artifacts on 127.0.0.1:8080 (DEMO_PORT to change) over a sample
log tree, with uploads enabled (a demo key, a token minted for one build), prints the URLs
to open and the commands to upload, and stops cleanly on Ctrl-C."""
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402
from scripts.services.sample_tree import make_sample_tree  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import artifacts_token  # noqa: E402

CONFIG = """
<Directory "{root}">
    Require all granted
</Directory>
ArtifactsRoot "{root}"
ArtifactsStateDir "{workdir}/state"
ArtifactsTokenKey demo "{workdir}/demo.key"
ArtifactsKind logs "*.txt" "*.log" "*.html" "*.json" "*.yaml" "*.xml" "*.gz"
ArtifactsKind tarballs "*.tar.gz" "*.tgz" "*.whl"
LimitRequestBody 0
<Location "/">
    ArtifactsEngine On
    ArtifactsCORS *
    ArtifactsHtmlify "*.txt" "*.log" "*.txt.gz" "*.log.gz"
</Location>
"""


def main():
    port = int(os.environ.get("DEMO_PORT", "8080"))
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-demo-")
    make_accessible(workdir)
    root = os.path.join(workdir, "logs")
    os.makedirs(root)
    make_accessible(root)
    build = make_sample_tree(root)
    secret = os.urandom(32).hex().encode()
    with open(os.path.join(workdir, "demo.key"), "wb") as key:
        key.write(secret)
    token = artifacts_token.mint(secret, "demo", "uploads/1/", ["logs", "tarballs"], ttl=3600)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    server = Httpd(workdir, root, port=port)
    server.write_config(CONFIG.format(root=root, workdir=workdir))
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        server.start()
        url = server.url
        print(f"""
mod_artifacts demo: httpd (pid {server.process.pid}) on {url}, serving {root}

  {url}/{build}/                               directory index (HTML)
  {url}/{build}/?format=json                   the same index as JSON
  {url}/{build}/?C=S;O=D                       sorted by size, largest first
  {url}/{build}/controller/logs/screen-nova-api.txt   compressed on disk; a browser gets a coloured page
  {url}/{build}/controller/logs/screen-nova-api.txt?level=ERROR   only errors, with their tracebacks
  {url}/{build}/testr_results/                 a directory with index.html
  curl -s {url}/{build}/job-output.txt | head     (curl gets the raw bytes, a browser the page)

Uploads below {url}/uploads/1/ with this token (valid for an hour):
  export ARTIFACTS_TOKEN={token}
  curl -T README.md -H "Authorization: Bearer $ARTIFACTS_TOKEN" {url}/uploads/1/readme.txt
  {repo}/build/artifacts-upload --gzip {url}/uploads/1/ {root}/{build}
  curl -X POST -H "Authorization: Bearer $ARTIFACTS_TOKEN" "{url}/uploads/1/?seal"

Error log: {server.error_log}
Press Ctrl-C to stop.""", flush=True)
        while not stopping and server.process.poll() is None:
            signal.pause() if hasattr(signal, "pause") else None
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        print("\nmod_artifacts demo stopped.")


if __name__ == "__main__":
    main()
