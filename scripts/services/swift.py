"""A real OpenStack Swift all-in-one (Debian's swift-proxy, swift-account,
swift-container and swift-object) on 127.0.0.1: one device in a temporary directory,
rings with one replica, tempauth with its tokens in a private memcached, tempurl in the
pipeline. Every server runs with workers = 0 (one PID each) and is stopped by PID.

Pitfalls this file works around (see docs/design.md, development): the servers read Debian's
/etc/swift/swift.conf whatever swift_dir says, so ours only moves the rings and configs;
they chdir to /, so every path is absolute; they bind with SO_REUSEPORT, so each port is
checked free first; the proxy needs error_suppression_interval = 0, or one failed request
locks the only device out for a minute and the outage tests never see it recover."""
import os
import signal
import subprocess
import sys
import time

from .ports import free_port, wait_for_port

ACCOUNT = "test"
USER = "tester"
KEY = "testing"
SERVERS = ("account", "container", "object", "proxy")

RING_SCRIPT = """
import sys
from swift.common.ring import RingBuilder
swift_dir, device_root = sys.argv[1], sys.argv[2]
for kind, port in zip(("account", "container", "object"), sys.argv[3:6]):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                     "device": "d1", "weight": 100.0, "meta": ""})
    builder.rebalance()
    builder.save(f"{swift_dir}/{kind}.builder")
    builder.get_ring().save(f"{swift_dir}/{kind}.ring.gz")
"""


def _port_is_free(port):
    return not wait_for_port(port, 0.05)


def _free_ports(count):
    ports = []
    while len(ports) < count:
        port = free_port()
        if port not in ports and _port_is_free(port):
            ports.append(port)
    return ports


class Swift:
    """start() builds the rings and configs the first time; stop() and start() keep the data."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.swift_dir = os.path.join(workdir, "etc")
        self.devices = os.path.join(workdir, "srv")
        self.ports = dict(zip(SERVERS + ("memcached",), _free_ports(len(SERVERS) + 1)))
        self.processes = {}

    @property
    def proxy_port(self):
        return self.ports["proxy"]

    @property
    def auth_url(self):
        return f"http://127.0.0.1:{self.proxy_port}/auth/v1.0"

    @property
    def storage_url(self):
        return f"http://127.0.0.1:{self.proxy_port}/v1/AUTH_{ACCOUNT}"

    def _user(self):
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name

    def _write_configs(self):
        os.makedirs(self.swift_dir, exist_ok=True)
        os.makedirs(os.path.join(self.devices, "d1"), exist_ok=True)
        with open(os.path.join(self.swift_dir, "swift.conf"), "w") as conf:
            conf.write("[swift-hash]\nswift_hash_path_suffix = mod-artifacts-tests\n"
                       "swift_hash_path_prefix = mod-artifacts\n\n"
                       "[storage-policy:0]\nname = Policy-0\ndefault = yes\n")
        common = (f"[DEFAULT]\nbind_ip = 127.0.0.1\nworkers = 0\nuser = {self._user()}\n"
                  f"swift_dir = {self.swift_dir}\ndevices = {self.devices}\nmount_check = false\n"
                  f"disable_fallocate = true\nlog_level = WARNING\n")
        for kind in ("account", "container", "object"):
            with open(os.path.join(self.swift_dir, f"{kind}-server.conf"), "w") as conf:
                conf.write(common + f"bind_port = {self.ports[kind]}\n\n"
                           f"[pipeline:main]\npipeline = {kind}-server\n\n"
                           f"[app:{kind}-server]\nuse = egg:swift#{kind}\n\n"
                           f"[{kind}-replicator]\n\n[{kind}-auditor]\n\n"
                           + ("[object-updater]\n" if kind == "object" else "")
                           + ("[container-updater]\n" if kind == "container" else ""))
        with open(os.path.join(self.swift_dir, "proxy-server.conf"), "w") as conf:
            conf.write(common + f"bind_port = {self.proxy_port}\n\n"
                       "[pipeline:main]\npipeline = catch_errors gatekeeper healthcheck proxy-logging cache "
                       "listing_formats tempurl tempauth proxy-logging proxy-server\n\n"
                       "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
                       "allow_account_management = true\nerror_suppression_interval = 0\n"
                       "node_timeout = 10\nconn_timeout = 2\n\n"
                       f"[filter:tempauth]\nuse = egg:swift#tempauth\nuser_{ACCOUNT}_{USER} = {KEY} .admin\n"
                       "token_life = 86400\n\n"
                       f"[filter:cache]\nuse = egg:swift#memcache\n"
                       f"memcache_servers = 127.0.0.1:{self.ports['memcached']}\n\n"
                       "[filter:tempurl]\nuse = egg:swift#tempurl\n\n"
                       "[filter:catch_errors]\nuse = egg:swift#catch_errors\n\n"
                       "[filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\n"
                       "[filter:healthcheck]\nuse = egg:swift#healthcheck\n\n"
                       "[filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\n"
                       "[filter:listing_formats]\nuse = egg:swift#listing_formats\n")
        result = subprocess.run(
            ["/usr/bin/python3", "-c", RING_SCRIPT, self.swift_dir, self.devices,
             str(self.ports["account"]), str(self.ports["container"]), str(self.ports["object"])],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"building the Swift rings failed:\n{result.stderr}")

    def start_keystone_proxy(self, keystone):
        """A second proxy on the same servers that authenticates with Keystone (authtoken +
        keystoneauth); its endpoint goes into Keystone's catalog. Returns its URL."""
        from .keystone import ADMIN_PASSWORD
        self.ports["keystone-proxy"] = _free_ports(1)[0]
        conf_path = os.path.join(self.swift_dir, "proxy-server-keystone.conf")
        with open(os.path.join(self.swift_dir, "proxy-server.conf")) as plain:
            conf = plain.read()
        conf = conf.replace(f"bind_port = {self.proxy_port}", f"bind_port = {self.ports['keystone-proxy']}")
        conf = conf.replace("tempurl tempauth proxy-logging", "tempurl authtoken keystoneauth proxy-logging")
        conf += ("\n[filter:authtoken]\npaste.filter_factory = keystonemiddleware.auth_token:filter_factory\n"
                 f"www_authenticate_uri = {keystone.url}\nauth_url = {keystone.url}\nauth_type = password\n"
                 "project_domain_id = default\nuser_domain_id = default\nproject_name = admin\n"
                 f"username = admin\npassword = {ADMIN_PASSWORD}\ndelay_auth_decision = True\n"
                 # No cache: a revoked token is refused at once.
                 "token_cache_time = -1\ninclude_service_catalog = False\n\n"
                 "[filter:keystoneauth]\nuse = egg:swift#keystoneauth\noperator_roles = admin, member\n")
        with open(conf_path, "w") as out:
            out.write(conf)
        self._spawn("keystone-proxy", ["/usr/bin/swift-proxy-server", conf_path, "-v"])
        self._wait("keystone-proxy")
        url = f"http://127.0.0.1:{self.ports['keystone-proxy']}"
        keystone.register_swift(url)
        return url

    def _spawn(self, name, command):
        out = open(os.path.join(self.workdir, f"{name}.log"), "ab")
        self.processes[name] = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out,
                                                stderr=subprocess.STDOUT, cwd="/")
        out.close()

    def start(self):
        if not os.path.exists(os.path.join(self.swift_dir, "proxy-server.conf")):
            self._write_configs()
        self.start_memcached()
        for kind in SERVERS:
            self.start_server(kind)

    def start_memcached(self):
        user = ["-u", "root"] if os.geteuid() == 0 else []
        self._spawn("memcached", ["/usr/bin/memcached", "-l", "127.0.0.1", "-p", str(self.ports["memcached"]),
                                  "-U", "0", "-m", "64", *user])
        self._wait("memcached")

    def start_server(self, kind):
        if not _port_is_free(self.ports[kind]):
            raise RuntimeError(f"port {self.ports[kind]} for swift-{kind}-server is taken")
        self._spawn(kind, [f"/usr/bin/swift-{kind}-server", os.path.join(self.swift_dir, f"{kind}-server.conf"),
                           "-v"])
        self._wait(kind)

    def _wait(self, name):
        process = self.processes[name]
        if not wait_for_port(self.ports[name], 60, lambda: process.poll() is None):
            raise RuntimeError(f"{name} did not start:\n{self.log_tail(name)}")

    def stop_server(self, name):
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not _port_is_free(self.ports[name]):
            time.sleep(0.05)

    def stop(self):
        for name in ("keystone-proxy", "proxy", "object", "container", "account", "memcached"):
            self.stop_server(name)

    def connection(self):
        """A python-swiftclient connection as the test user (an independent client)."""
        import swiftclient
        return swiftclient.Connection(authurl=self.auth_url, user=f"{ACCOUNT}:{USER}", key=KEY,
                                      retries=1, timeout=30)

    def credentials_file(self, path):
        """The key, in a file, as ArtifactsSwift reads it."""
        with open(path, "w") as key_file:
            key_file.write(KEY + "\n")
        os.chmod(path, 0o644)
        return path

    def swift_directive(self, key_file):
        return f"v1 {self.auth_url} {ACCOUNT}:{USER} key-file={key_file}"

    def log_tail(self, name, lines=30):
        try:
            with open(os.path.join(self.workdir, f"{name}.log"), errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


if __name__ == "__main__":
    # python3 -m scripts.services.swift DIR: starts an all-in-one until interrupted.
    aio = Swift(sys.argv[1])
    aio.start()
    print(aio.auth_url, flush=True)
    try:
        signal.pause()
    finally:
        aio.stop()
