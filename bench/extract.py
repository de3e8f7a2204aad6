"""Driver of bench/extract: POSTs ?extract archives of N one-byte members (and N members
under a long directory prefix) to one httpd, with the default ArtifactsSync On and with
Off, and reports for each the time, and the bytes the httpd children wrote and asked to
write (write_bytes and wchar of /proc/<pid>/io, summed over the children, before and
after). The cost of an archive's bookkeeping shows as bytes written per member."""
import io
import os
import sys
import tarfile
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import artifacts_token  # noqa: E402
from scripts.services.httpd import Httpd, make_accessible  # noqa: E402

SECRET = b"benchmark-secret-0123456789abcdef"

CONFIG = """
LimitRequestBody 0
<Directory "{root}">
    Require all granted
</Directory>
ArtifactsRoot "{root}"
ArtifactsStateDir "{workdir}/state"
ArtifactsTokenKey bench "{workdir}/bench.key"
ArtifactsKind logs "*.txt"
<Location "/">
    ArtifactsEngine On
</Location>
<Location "/nosync">
    ArtifactsSync Off
</Location>
"""


def archive(members, prefix):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for i in range(members):
            info = tarfile.TarInfo(f"{prefix}{i // 1000}/m{i}.txt")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    return buffer.getvalue()


def children_io(httpd):
    totals = {"write_bytes": 0, "wchar": 0}
    for pid in httpd.children():
        try:
            with open(f"/proc/{pid}/io") as stats:
                for line in stats:
                    key, value = line.split(":")
                    if key in totals:
                        totals[key] += int(value)
        except OSError:
            pass
    return totals


def main():
    counts = [int(n) for n in (sys.argv[1:] or ["6000", "100000"])]
    with tempfile.TemporaryDirectory(prefix="bench-extract-", dir="/var/tmp") as workdir:
        make_accessible(workdir)
        root = os.path.join(workdir, "root")
        os.makedirs(os.path.join(root, "nosync"))
        for path in (root, os.path.join(root, "nosync")):
            make_accessible(path)
        with open(os.path.join(workdir, "bench.key"), "wb") as key:
            key.write(SECRET)
        httpd = Httpd(workdir, root)
        httpd.write_config(CONFIG.format(root=root, workdir=workdir))
        httpd.start()
        try:
            print(f"{'members':>8} {'prefix':>8} {'sync':>5} {'body KB':>8} {'seconds':>8} {'status':>6} "
                  f"{'write_bytes MB':>14} {'wchar MB':>9} {'wchar/member':>12}")
            for count in counts:
                for prefix in ("", "p" * 200 + "/" + "q" * 200 + "/" + "r" * 200 + "/"):
                    body = archive(count, prefix)
                    for sync in ("on", "off"):
                        scope = f"{'nosync/' if sync == 'off' else ''}run-{count}-{len(prefix)}/"
                        token = artifacts_token.mint(SECRET, "bench", scope, ["logs"], ttl=3600)
                        os.sync()
                        before = children_io(httpd)
                        start = time.monotonic()
                        response = requests.post(f"{httpd.url}/{scope}?extract", data=body, timeout=3600,
                                                 headers={"Authorization": f"Bearer {token}"})
                        seconds = time.monotonic() - start
                        after = children_io(httpd)
                        written = (after["write_bytes"] - before["write_bytes"]) / 1e6
                        wchar = after["wchar"] - before["wchar"]
                        print(f"{count:>8} {len(prefix):>8} {sync:>5} {len(body) / 1024:>8.0f} {seconds:>8.2f} "
                              f"{response.status_code:>6} {written:>14.1f} {wchar / 1e6:>9.1f} "
                              f"{wchar / count:>12.0f}", flush=True)
        finally:
            httpd.stop()


if __name__ == "__main__":
    main()
