"""Starts httpd with mod_artifacts on 127.0.0.1:8080 (DEMO_PORT to change) over a sample
log tree, prints the URLs to open and stops cleanly on Ctrl-C."""
import os
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402
from scripts.services.sample_tree import make_sample_tree  # noqa: E402

CONFIG = """
<Directory "{root}">
    Require all granted
</Directory>
ArtifactsRoot "{root}"
<Location "/">
    ArtifactsEngine On
    ArtifactsCORS *
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
    server = Httpd(workdir, root, port=port)
    server.write_config(CONFIG.format(root=root))
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
  {url}/{build}/controller/logs/screen-nova-api.txt   compressed on disk, sent as gzip or inflated
  {url}/{build}/testr_results/                 a directory with index.html
  curl -s {url}/{build}/job-output.txt | head

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
