#!/usr/bin/python3
"""Ansible module: uploads a build's log directory to a mod_artifacts server and seals it.

Standard library only (it runs on a Zuul executor): parallel PUTs with retries, text
gzip-compressed on the way, symbolic links to files inside the tree followed, empty
directories made, then POST ?seal, which writes zuul-manifest.json on the server."""

import hashlib
import http.client
import json
import mimetypes
import os
import random
import stat
import threading
import time
import urllib.parse
import zlib
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.artifacts_token import mint
from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: artifacts_upload
short_description: Upload a Zuul build's logs to a mod_artifacts server
description:
  - Mints a token for exactly the build's directory (or takes one minted earlier), uploads
    every file below src in parallel with retries, then seals the directory, so that the
    server writes zuul-manifest.json and refuses further uploads of this build.
options:
  url: {description: The server's location (ArtifactsEngine), e.g. https://logs.example.org/., required: true, type: str}
  scope: {description: The build's directory below url, ending with '/'., required: true, type: str}
  src: {description: The directory to upload (its contents go below scope)., required: true, type: path}
  kid: {description: The signing key's id; with key, a token is minted here., type: str}
  key: {description: The signing key's secret., type: str, no_log: true}
  token: {description: A token minted earlier instead of kid and key., type: str, no_log: true}
  kinds: {description: Kinds the minted token may store., type: list, elements: str, default: [logs]}
  max_bytes: {description: Quota of bytes of the minted token (0 for none)., type: int, default: 0}
  max_files: {description: Quota of files of the minted token (0 for none)., type: int, default: 0}
  ttl: {description: Seconds the minted token is valid., type: int, default: 3600}
  build: {description: The build's uuid (the minted token's jti)., type: str}
  job: {description: The job's name (the server's audit log)., type: str}
  parallel: {description: Uploads at once., type: int, default: 8}
  retries: {description: Attempts per file for 5xx, 408, 429 and connection failures., type: int, default: 5}
  gzip: {description: Compress text files on the way., type: bool, default: true}
  seal: {description: Seal the directory when every file is stored., type: bool, default: true}
  timeout: {description: Seconds a request may wait for the server., type: int, default: 300}
  dry_run: {description: List what would be uploaded and upload nothing., type: bool, default: false}
"""

RETURN = r"""
url: {description: The build's log URL (with its trailing '/')., type: str}
manifest_url: {description: The URL of zuul-manifest.json (when sealed)., type: str}
stored: {description: Files stored now., type: int}
already_there: {description: Files the server already had (a retried run)., type: int}
directories: {description: Empty directories made., type: int}
skipped: {description: Links and special files not uploaded., type: list}
files: {description: In dry_run, the paths that would be uploaded., type: list}
"""

BLOCK = 64 * 1024
COMPRESSIBLE = ("application/json", "application/xml", "application/javascript", "image/svg+xml",
                "application/x-yaml", "application/yaml")


class Refused(Exception):
    """The server answered a refusal (or could not be reached) for one request."""

    def __init__(self, status, code, message, retry_after=0.0):
        super().__init__(message)
        self.status, self.code, self.retry_after = status, code, retry_after

    def __str__(self):
        if self.status == 0:
            return f"cannot reach the server: {self.args[0]}"
        return f"{self.status} {self.code}: {self.args[0]}"

    def worth_retrying(self):
        return self.status == 0 or self.status >= 500 or self.status in (408, 429)


def collect(src):
    """(relative path, local path or None for an empty directory) of everything to send, and
    what is skipped: links that leave the tree, dangle or name a directory, special files."""
    root = os.path.realpath(src)
    entries, skipped = [], []

    def walk(directory, relative):
        sent = 0
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                target = os.path.realpath(path)
                inside = target.startswith(root + os.sep)
                if inside and os.path.isfile(target):
                    entries.append((relative + name, path))
                    sent += 1
                else:
                    skipped.append(relative + name)
            elif stat.S_ISDIR(info.st_mode):
                below = walk(path, relative + name + "/")
                if below == 0:
                    entries.append((relative + name + "/", None))  # made empty, as Zuul lists it
                sent += 1
            elif stat.S_ISREG(info.st_mode):
                entries.append((relative + name, path))
                sent += 1
            else:
                skipped.append(relative + name)
        return sent

    if not os.path.isdir(src):
        raise FileNotFoundError(f"{src} is not a directory")
    walk(src, "")
    return entries, skipped


def worth_compressing(name):
    if name.endswith("/"):
        return False
    kind, encoding = mimetypes.guess_type(name, strict=False)
    if encoding is not None:
        return False
    kind = kind or "text/plain"  # as Zuul's manifest: an unknown name is text
    return kind.startswith("text/") or kind in COMPRESSIBLE


class Client:
    """One keep-alive connection per thread to the server."""

    def __init__(self, url, token, timeout):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url must be http:// or https:// and name a host, not {url!r}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.base = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.authorization = f"Bearer {token}"
        self.timeout = timeout
        self.local = threading.local()

    def _connection(self):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            connection = kind(self.host, self.port, timeout=self.timeout)
            self.local.connection = connection
        return connection

    def request(self, method, relative, body=None, headers=None, query=""):
        target = self.base + urllib.parse.quote(relative) + (f"?{query}" if query else "")
        all_headers = {"Authorization": self.authorization, "User-Agent": "upload-logs-artifacts"}
        all_headers.update(headers or {})
        connection = self._connection()
        try:
            connection.request(method, target, body=body, headers=all_headers,
                               encode_chunked="Content-Length" not in all_headers and body is not None)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            self.local.connection = None
            raise Refused(0, "unreachable", str(error) or type(error).__name__)
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            self.local.connection = None
        try:
            reply = json.loads(data.decode("utf-8"))
        except ValueError:
            reply = None
        if 200 <= response.status < 300:
            return response.status, reply
        retry_after = response.getheader("Retry-After", "0")
        code, message = "error", data.decode("utf-8", "replace")[:300].strip() or response.reason
        if isinstance(reply, dict):
            code, message = reply.get("error", code), reply.get("message", message)
        raise Refused(response.status, code, message, float(retry_after) if retry_after.isdigit() else 0.0)


def file_body(path, compress, digest):
    """The file's bytes (gzip-compressed when asked), in blocks, hashed as they go."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31) if compress else None
    with open(path, "rb") as source:
        while True:
            block = source.read(BLOCK)
            if not block:
                break
            if packer is not None:
                block = packer.compress(block)
            if block:
                digest.update(block)
                yield block
    if packer is not None:
        tail = packer.flush()
        digest.update(tail)
        yield tail


def upload_one(client, relative, path, compress):
    """Returns "stored", "already" or "directory"; raises Refused."""
    if path is None:
        status, reply = client.request("PUT", relative, body=b"", headers={"Content-Length": "0"})
        if not isinstance(reply, dict) or reply.get("type") != "directory":
            raise Refused(status, "unexpected", "the server did not make the directory")
        return "directory" if status == 201 else "already"
    digest = hashlib.sha256()
    headers = {}
    if compress:
        headers["Content-Encoding"] = "gzip"
    else:
        whole = hashlib.sha256()
        with open(path, "rb") as source:
            for block in iter(lambda: source.read(BLOCK), b""):
                whole.update(block)
        headers["X-Artifact-Sha256"] = whole.hexdigest()
        headers["Content-Length"] = str(os.path.getsize(path))
    status, reply = client.request("PUT", relative, body=file_body(path, compress, digest), headers=headers)
    if not isinstance(reply, dict) or reply.get("sha256") != digest.hexdigest():
        raise Refused(status, "unexpected", "the server stored other bytes than were sent")
    return "stored" if status == 201 else "already"


def with_retries(attempts, work):
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Refused as refused:
            if not refused.worth_retrying() or attempt == attempts:
                raise
            delay = min(30.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            time.sleep(max(delay, refused.retry_after))
    raise AssertionError("unreachable")


def run(module):
    params = module.params
    scope = params["scope"]
    if not scope.endswith("/") or scope.startswith("/"):
        module.fail_json(msg=f"scope must be a relative directory path ending with '/', not {scope!r}")
    try:
        entries, skipped = collect(params["src"])
    except OSError as error:
        module.fail_json(msg=f"cannot read the logs to upload: {error}")
    url = params["url"].rstrip("/") + "/" + urllib.parse.quote(scope)
    if params["dry_run"]:
        module.exit_json(changed=False, url=url, files=[scope + relative for relative, _ in entries], skipped=skipped,
                         msg=f"would upload {len(entries)} entries below {url}")
    token = params["token"]
    if not token:
        if not params["kid"] or not params["key"] or not params["build"]:
            module.fail_json(msg="give token, or kid, key and build to mint one")
        try:
            token = mint(params["key"].encode(), params["kid"], scope, params["kinds"], ttl=params["ttl"],
                         jti=params["build"], max_bytes=params["max_bytes"] or None,
                         max_files=params["max_files"] or None, build=params["build"], job=params["job"])
        except ValueError as error:
            module.fail_json(msg=f"cannot mint a token: {error}")
    try:
        client = Client(params["url"], token, params["timeout"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    counts = {"stored": 0, "already": 0, "directory": 0}
    failures = []
    lock = threading.Lock()

    def send(entry):
        relative, path = entry
        compress = params["gzip"] and path is not None and worth_compressing(relative)
        try:
            outcome = with_retries(params["retries"], lambda: upload_one(client, scope + relative, path, compress))
        except Refused as refused:
            with lock:
                failures.append((str(refused), relative))
            return
        except OSError as error:
            with lock:
                failures.append((f"cannot read it: {error.strerror or error}", relative))
            return
        with lock:
            counts[outcome] += 1

    with ThreadPoolExecutor(max_workers=max(1, params["parallel"])) as pool:
        list(pool.map(send, entries))
    result = dict(url=url, stored=counts["stored"], already_there=counts["already"],
                  directories=counts["directory"], skipped=skipped)
    if failures:
        # One line per distinct answer (a refused token refuses every file alike).
        by_reason = {}
        for reason, relative in sorted(failures):
            by_reason.setdefault(reason, []).append(relative)
        lines = [f"{reason} ({names[0]}" + (f" and {len(names) - 1} more)" if len(names) > 1 else ")")
                 for reason, names in by_reason.items()]
        module.fail_json(msg=f"{len(failures)} of {len(entries)} uploads to {url} failed, nothing sealed: "
                             + "; ".join(lines),
                         failures=[f"{relative}: {reason}" for reason, relative in sorted(failures)], **result)
    if params["seal"]:
        try:
            with_retries(params["retries"], lambda: client.request("POST", scope, body=b"",
                                                                   headers={"Content-Length": "0"}, query="seal"))
        except Refused as refused:
            module.fail_json(msg=f"every file is stored below {url}, but sealing failed: {refused}", **result)
        result["manifest_url"] = url + "zuul-manifest.json"
    module.exit_json(changed=counts["stored"] + counts["directory"] > 0, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            scope=dict(type="str", required=True),
            src=dict(type="path", required=True),
            kid=dict(type="str"),
            key=dict(type="str", no_log=True),
            token=dict(type="str", no_log=True),
            kinds=dict(type="list", elements="str", default=["logs"]),
            max_bytes=dict(type="int", default=0),
            max_files=dict(type="int", default=0),
            ttl=dict(type="int", default=3600),
            build=dict(type="str"),
            job=dict(type="str"),
            parallel=dict(type="int", default=8),
            retries=dict(type="int", default=5),
            gzip=dict(type="bool", default=True),
            seal=dict(type="bool", default=True),
            timeout=dict(type="int", default=300),
            dry_run=dict(type="bool", default=False),
        ),
        supports_check_mode=False,
    )
    run(module)


if __name__ == "__main__":
    main()
