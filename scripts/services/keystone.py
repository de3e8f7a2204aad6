"""A real OpenStack Keystone (Debian's python3-keystone) on 127.0.0.1, served by
keystone_wsgi.py, with Fernet tokens and its database in the suite's MariaDB (Keystone on
SQLite leaves a write transaction open after a role assignment, and every later write fails
with "database is locked"). start() bootstraps the admin user; add_user() makes a project
member; register_swift() the object-store endpoint of a Swift proxy that authenticates with
it (Swift.start_keystone_proxy)."""
import os
import signal
import subprocess
import time

import requests

from .ports import free_port, wait_for_port

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN_PASSWORD = "keystone-admin-0123456789"


class Keystone:
    def __init__(self, workdir, database_url):
        self.workdir = workdir
        self.database_url = database_url
        self.port = free_port()
        self.config = os.path.join(workdir, "keystone.conf")
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/v3"

    def _manage(self, *arguments):
        result = subprocess.run(["/usr/bin/keystone-manage", "--config-file", self.config, *arguments],
                                capture_output=True, text=True, cwd=self.workdir)
        if result.returncode != 0:
            raise RuntimeError(f"keystone-manage {arguments[0]} failed:\n{result.stderr[-3000:]}")

    def start(self):
        if not os.path.exists(self.config):
            with open(self.config, "w") as conf:
                conf.write(f"[DEFAULT]\nuse_stderr = true\n\n[database]\nconnection = {self.database_url}\n\n"
                           f"[token]\nprovider = fernet\nexpiration = 3600\n\n"
                           f"[fernet_tokens]\nkey_repository = {self.workdir}/fernet-keys\n\n"
                           f"[fernet_receipts]\nkey_repository = {self.workdir}/fernet-keys\n\n"
                           f"[credential]\nkey_repository = {self.workdir}/credential-keys\n")
            user = ["--keystone-user", "root", "--keystone-group", "root"] if os.geteuid() == 0 else []
            self._manage("db_sync")
            self._manage("fernet_setup", *user)
            self._manage("credential_setup", *user)
            self._manage("bootstrap", "--bootstrap-password", ADMIN_PASSWORD, "--bootstrap-admin-url", self.url,
                         "--bootstrap-public-url", self.url, "--bootstrap-internal-url", self.url,
                         "--bootstrap-region-id", "RegionOne")
        out = open(os.path.join(self.workdir, "keystone.log"), "ab")
        self.process = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "keystone_wsgi.py"), self.config,
                                         str(self.port)], stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, cwd=self.workdir)
        out.close()
        if not wait_for_port(self.port, 60, lambda: self.process.poll() is None):
            raise RuntimeError("keystone did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=15)

    def token(self, user="admin", password=ADMIN_PASSWORD, project="admin"):
        """(token, body) of a project-scoped password authentication."""
        response = requests.post(f"{self.url}/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}, timeout=30)
        response.raise_for_status()
        return response.headers["X-Subject-Token"], response.json()

    def _admin(self, method, path, body=None, token=None):
        token = token or self.token()[0]
        response = requests.request(method, self.url + path, json=body, headers={"X-Auth-Token": token}, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else None

    def add_user(self, user, password, project):
        """A user with the member role on a new project; returns the project's id."""
        project_id = self._admin("POST", "/projects", {"project": {"name": project, "domain_id": "default"}})[
            "project"]["id"]
        user_id = self._admin("POST", "/users", {"user": {"name": user, "password": password,
                                                          "domain_id": "default"}})["user"]["id"]
        role_id = self._admin("GET", "/roles?name=member")["roles"][0]["id"]
        self._admin("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
        self.user_ids = getattr(self, "user_ids", {})
        self.user_ids[user] = user_id
        return project_id

    def register_swift(self, proxy_url):
        """The object-store endpoint in the catalog: proxy_url + /v1/AUTH_<project id>."""
        service = self._admin("POST", "/services", {"service": {"type": "object-store", "name": "swift"}})
        for interface in ("public", "internal"):
            self._admin("POST", "/endpoints", {"endpoint": {
                "service_id": service["service"]["id"], "interface": interface, "region_id": "RegionOne",
                "url": proxy_url + "/v1/AUTH_%(project_id)s"}})

    def revoke_user_tokens(self, user):
        """Disables and enables the user again: Keystone revokes every token it holds. The
        revocation is made at the start of a second: Keystone also refuses any token issued in
        the rest of that second (Fernet tokens carry whole seconds), which a client that renews
        its token at once must get through."""
        user_id = self.user_ids[user]
        admin = self.token()[0]
        time.sleep(1 - time.time() % 1)
        self._admin("PATCH", f"/users/{user_id}", {"user": {"enabled": False}}, admin)
        self._admin("PATCH", f"/users/{user_id}", {"user": {"enabled": True}}, admin)
