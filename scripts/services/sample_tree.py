"""A small CI log tree shaped like a Zuul job's: what the demo serves."""
import gzip
import os
import random
import tarfile
import uuid
import io

LEVELS = ["DEBUG"] * 12 + ["INFO"] * 6 + ["WARNING", "ERROR"]


def _oslo_log(rng, lines, service):
    out = []
    for n in range(lines):
        level = rng.choice(LEVELS)
        request = f"req-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        out.append(f"2026-11-25 10:{n // 600 % 60:02d}:{n // 10 % 60:02d}.{n * 7 % 1000:03d} "
                   f"{2000 + n % 4} {level} {service}.api [{request}] handled request {n} in {rng.random():.3f}s\n")
        if level == "ERROR":
            out.append("Traceback (most recent call last):\n")
            out.append(f'  File "/opt/stack/{service}/{service}/api.py", line {rng.randint(10, 900)}, in handle\n')
            out.append("    raise ValueError('boom')\n")
            out.append("ValueError: boom\n")
    return "".join(out)


def _write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def make_sample_tree(root):
    """Writes a job's logs below root/<change>/<patchset>/check/<job>/<build>/ and returns
    that build's relative path."""
    rng = random.Random(2026)
    build = "42/123442/3/check/tempest-full/5f2c1a9"
    base = os.path.join(root, build)
    _write(os.path.join(base, "job-output.txt"),
           "".join(f"2026-11-25 10:00:{n % 60:02d}.{n:06d} | controller | ok: [controller] step {n}\n"
                   for n in range(400)))
    _write(os.path.join(base, "zuul-info", "inventory.yaml"), "all:\n  hosts:\n    controller: {}\n")
    for service in ("nova", "neutron", "glance"):
        _write(os.path.join(base, "controller", "logs", f"screen-{service}-api.txt.gz"),
               gzip.compress(_oslo_log(rng, 3000, service).encode()))
    _write(os.path.join(base, "controller", "logs", "syslog.txt"),
           "".join(f"Nov 25 10:00:{n % 60:02d} controller kernel: [ {n}.000000] message {n}\n" for n in range(200)))
    _write(os.path.join(base, "testr_results", "index.html"),
           "<!doctype html><html><body><h1>Test results</h1><p>1204 passed, 0 failed</p></body></html>\n")
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as archive:
        payload = b"print('hello')\n"
        info = tarfile.TarInfo("pkg/hello.py")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    _write(os.path.join(base, "artifacts", "pkg-1.0.tar.gz"), tarball.getvalue())
    _write(os.path.join(base, "odd names", "<b>not bold</b>.txt".replace("/", "_")), "names are escaped\n")
    for number in range(300):
        _write(os.path.join(base, "many", f"file-{number:04d}.txt"), f"file {number}\n")
    for directory, _, _ in os.walk(root):
        os.chmod(directory, 0o755)
    return build
