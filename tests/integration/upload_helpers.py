"""What the upload tests share: raw requests (paths sent byte for byte, which `requests`
would normalise), a snapshot of everything stored, and scopes no other test uses."""
import http.client
import io
import os
import socket
import tarfile
import uuid


def unique_scope(prefix="t"):
    return f"{prefix}/{uuid.uuid4().hex[:12]}/"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def raw_request(httpd, method, target, headers=None, body=b"", timeout=30):
    """Sends the request target exactly as given (bytes or str); returns (status, headers, body)."""
    if isinstance(target, str):
        target = target.encode("latin-1")
    headers = dict(headers or {})
    headers.setdefault("Host", f"127.0.0.1:{httpd.port}")
    if body is not None and "Transfer-Encoding" not in headers:
        headers.setdefault("Content-Length", str(len(body)))
    head = method.encode() + b" " + target + b" HTTP/1.1\r\n"
    head += b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items())
    head += b"Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", httpd.port), timeout=timeout) as sock:
        sock.sendall(head + (body or b""))
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return response.status, response.headers, response.read()


def stored_files(root):
    """Every file below root (relative paths), temporary upload files included."""
    found = set()
    for directory, _, files in os.walk(root):
        for name in files:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


def temporary_files(root):
    return {path for path in stored_files(root) if ".artifacts-tmp-" in path}


def tar_of(members, compression="gz"):
    """A tar archive (gzip-compressed unless compression="") of name -> bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
