#!/usr/bin/python3
"""Generates realistic CI logs for the HTMLIFY tests and benchmark: every line shape the
filter recognises (oslo.log, devstack screen and Zuul console lines with "|" fields, journal
lines, Python tracebacks with and without TRACE prefixes, "LEVEL:" lines, plain output),
mixed levels, long lines, binary junk, CRLF endings, and gzip copies.

The text is invented here; the same seed always gives the same bytes.

Usage: make_logs.py OUTPUT_DIR [--size BYTES]   (size of each main log, default 2 MiB)
       make_logs.py --stream BYTES > file         (one large oslo-style log, for load tests)
"""
import argparse
import datetime
import gzip
import os
import random
import sys
import uuid

LEVELS = ["DEBUG"] * 12 + ["INFO"] * 6 + ["AUDIT", "WARNING", "WARNING", "ERROR", "CRITICAL"]
MODULES = ["nova.compute.manager", "nova.virt.libvirt.driver", "neutron.agent.ovn.metadata.agent",
           "cinder.volume.manager", "oslo_concurrency.lockutils", "keystone.server.flask.request_processing",
           "glance.api.v2.images", "oslo_messaging._drivers.amqpdriver"]
MESSAGES = [
    'Lock "compute_resources" acquired by "nova.compute.resource_tracker.ResourceTracker._update_available_resource"'
    ' :: waited 0.000s',
    "Took 2.31 seconds to spawn the instance on the hypervisor.",
    "Port 3c1e9d2a-44b7-4f0e-8a61-0f3b2c5d9e71 not present in bridge br-int",
    "Volume 7d0e attached to instance in 1.42 seconds",
    "Received unexpected event network-vif-plugged for instance with vm_state building",
    "Request returned failure status: 409 <ConflictException> & retrying",
    "GET /v2.1/servers/detail?all_tenants=True => generated 12345 bytes in 87 msecs",
    "Unable to connect to AMQP server on 127.0.0.1:5672 after inf tries: [Errno 111] ECONNREFUSED",
    "Caught error: <script>alert('not a script')</script> \"quoted\" 'single'",
]
HOSTS = ["controller", "compute1", "np0038441122"]


def request_id(rng):
    return "req-" + str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Clock:
    """Monotonic timestamps, a few milliseconds apart."""

    def __init__(self, rng):
        self.rng = rng
        self.now = datetime.datetime(2026, 11, 25, 21, 50, 1, 0)

    def tick(self):
        self.now += datetime.timedelta(microseconds=self.rng.randrange(0, 40000))
        return self.now

    def oslo(self):
        return self.tick().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    def console(self):
        return self.tick().strftime("%Y-%m-%d %H:%M:%S.%f")

    def journal(self):
        return self.tick().strftime("%b %d %H:%M:%S.%f")


TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/opt/stack/nova/nova/compute/manager.py", line 2461, in _build_and_run_instance',
    "    self.driver.spawn(context, instance, image_meta,",
    '  File "/opt/stack/nova/nova/virt/libvirt/driver.py", line 4412, in spawn',
    "    self._create_guest_with_network(",
    "nova.exception.BuildAbortException: Build of instance aborted: Failed to allocate the network(s)",
]


def oslo_lines(rng, clock, pid):
    """One oslo.log record, sometimes followed by a traceback (plain or TRACE-prefixed)."""
    level = rng.choice(LEVELS)
    module = rng.choice(MODULES)
    context = f"[{request_id(rng)} admin demo]" if rng.random() < 0.6 else "[-]"
    stamp = clock.oslo()
    lines = [f"{stamp} {pid} {level} {module} {context} {rng.choice(MESSAGES)}"]
    if level in ("ERROR", "CRITICAL") and rng.random() < 0.7:
        style = rng.random()
        if style < 0.3:
            lines += [f"{stamp} {pid} TRACE {module} {frame}" for frame in TRACEBACK]
        elif style < 0.6:
            lines += [f"{stamp} {pid} ERROR {module} {context} {frame}" for frame in TRACEBACK]
        else:  # LOG.exception's message over several lines, without prefixes
            lines += TRACEBACK
    return lines


def lines_until(size, next_lines):
    """Lines from next_lines() (a list each call) until they make `size` bytes, as one text."""
    out = []
    total = 0
    while total < size:
        for line in next_lines():
            out.append(line)
            total += len(line) + 1
    return "\n".join(out) + "\n"


def service_log(rng, size):
    clock = Clock(rng)
    pid = rng.randrange(1000, 99999)
    return lines_until(size, lambda: oslo_lines(rng, clock, pid))


def job_output(rng, size):
    """Zuul's job-output.txt: console lines with host fields, service logs shown inside."""
    clock = Clock(rng)

    def line():
        host = rng.choice(HOSTS)
        roll = rng.random()
        if roll < 0.15:
            return [f"{clock.console()} | {host} | TASK [devstack : Run devstack {rng.randrange(100)}]"]
        if roll < 0.3:
            inner = oslo_lines(rng, clock, rng.randrange(1000, 9999))[0]
            return [f"{clock.console()} | {host} | {inner}"]
        if roll < 0.35:
            return [f"{clock.console()} | {host} | \x1b[0;31mfatal: [{host}]: FAILED! => changed=false\x1b[0m"]
        return [f"{clock.console()} | {host} | + lib/nova:start_nova_compute:{rng.randrange(900)} :   echo_summary x"]
    return lines_until(size, line)


def devstack_screen(rng, size):
    clock = Clock(rng)

    def line():
        if rng.random() < 0.5:
            return [f"{clock.oslo()} | {oslo_lines(rng, clock, 4242)[0]}"]
        return [f"{clock.oslo()} | + functions-common:run_process:{rng.randrange(2000)} :   sudo systemctl start"]
    return lines_until(size, line)


def journal(rng, size):
    clock = Clock(rng)

    def line():
        roll = rng.random()
        if roll < 0.6:
            record = oslo_lines(rng, clock, 1)[0].split(" ", 3)[3]  # "LEVEL module ..."
            return [f"{clock.journal()} np0038441122 nova-compute[{rng.randrange(1000, 99999)}]: {record}"]
        if roll < 0.8:
            return [f"{clock.journal()} np0038441122 kernel: [ {rng.random() * 1000:9.6f}] br-int: port 2 entered state"]
        return [f"{clock.journal()} np0038441122 sudo[{rng.randrange(100, 999)}]:    stack : PWD=/opt/stack ; USER=root"]
    return lines_until(size, line)


def mixed(rng, size):
    """Everything awkward: CRLF, a 200 KB line, binary junk, invalid UTF-8, markup, tox output."""
    clock = Clock(rng)
    parts = []
    total = 0
    while total < size:
        roll = rng.random()
        if roll < 0.02:
            chunk = (f"{clock.oslo()} 7 ERROR long.line [-] " + "x<&>" * 50000 + "\n").encode()
        elif roll < 0.05:
            chunk = bytes(rng.randrange(256) for _ in range(rng.randrange(20, 400))) + b"\n"
        elif roll < 0.1:
            chunk = f"{clock.oslo()} 7 WARNING crlf.line [-] ends with CRLF\r\n".encode()
        elif roll < 0.15:
            chunk = b"invalid utf-8: \xc3\x28 \xff\xfe caf\xc3\xa9 \xe2\x82\n"
        elif roll < 0.2:
            chunk = rng.choice([b"ERROR: could not install deps [-r requirements.txt]\n",
                                b"WARNING:root:falling back to the slow path\n",
                                b"py3: commands succeeded\n"])
        else:
            chunk = ("\n".join(oslo_lines(rng, clock, 77)) + "\n").encode()
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def write(path, data):
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as out:
        out.write(data)
    return data


def make_set(directory, size):
    """The sample set; returns {name: bytes} of the uncompressed logs."""
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(2026)
    logs = {
        "screen-n-cpu.txt": service_log(rng, size),
        "job-output.txt": job_output(rng, size),
        "devstacklog.txt": devstack_screen(rng, size // 2),
        "syslog.txt": journal(rng, size // 2),
        "mixed.txt": mixed(rng, size // 2),
    }
    written = {name: write(os.path.join(directory, name), data) for name, data in logs.items()}
    # Legacy compressed copies, served as name.txt or requested as name.txt.gz.
    for name in ("screen-n-cpu.txt", "syslog.txt"):
        with open(os.path.join(directory, name + ".gz"), "wb") as out:
            out.write(gzip.compress(written[name], mtime=0))
    return written


def stream(size, out):
    """`size` bytes of oslo-style log, written in blocks (memory stays small)."""
    rng = random.Random(7)
    block = service_log(rng, 4 << 20).encode()
    written = 0
    while written < size:
        piece = block[: size - written]
        out.write(piece)
        written += len(piece)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", nargs="?")
    parser.add_argument("--size", type=int, default=2 << 20)
    parser.add_argument("--stream", type=int)
    args = parser.parse_args()
    if args.stream is not None:
        stream(args.stream, sys.stdout.buffer)
    elif args.directory:
        make_set(args.directory, args.size)
    else:
        parser.error("give an output directory or --stream BYTES")


if __name__ == "__main__":
    main()
