"""Places artifacts in Swift and the catalogue the way a bulk import would (the object
through python-swiftclient, its rows through the mariadb client), independently of the
module, for the tests and benchmarks that read them back through it; and the
ArtifactsCatalogue / ArtifactsSwift lines for the fixture services."""
import hashlib
import os
import time

CONTAINER = "artifacts"


def sql_bytes(value):
    """A SQL literal for bytes or text, whatever they hold."""
    if isinstance(value, str):
        value = value.encode()
    return "X'" + value.hex() + "'" if value else "''"


def parents(path):
    """'a/b/c.txt' -> ['a/b/', 'a/']."""
    parts = path.rstrip("/").split("/")[:-1]
    return ["/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]


def split(path):
    stripped = path.rstrip("/")
    slash = stripped.rfind("/")
    return (stripped[:slash + 1], stripped[slash + 1:]) if slash >= 0 else ("", stripped)


class Catalogued:
    """Places artifacts in Swift + catalogue, as artifacts-import will."""

    def __init__(self, mariadb, swift, container=CONTAINER):
        self.mariadb = mariadb
        self.swift = swift
        self.container = container
        self.connection = swift.connection()
        self.connection.put_container(container)

    def add_rows(self, rows, batch=500):
        """Rows only (path, size, mtime) for files whose objects are not needed: one
        multi-row INSERT per batch, plus their directories."""
        directories = set()
        for start in range(0, len(rows), batch):
            values = []
            for path, size, mtime in rows[start:start + batch]:
                parent, name = split(path)
                directories.update(parents(path))
                values.append(f"({sql_bytes(path)}, {sql_bytes(parent)}, {sql_bytes(name)}, 0, {size}, {mtime}, "
                              f"'text/plain', 'swift', '{self.container}', {sql_bytes(path)})")
            self.mariadb.query("INSERT INTO artifacts (path, parent, name, is_directory, size, mtime, content_type, "
                               "store, container, object) VALUES " + ",".join(values) + ";")
        for directory in directories:
            dir_parent, dir_name = split(directory)
            self.mariadb.query("INSERT IGNORE INTO artifacts (path, parent, name, is_directory, mtime) VALUES "
                               f"({sql_bytes(directory)}, {sql_bytes(dir_parent)}, {sql_bytes(dir_name)}, 1, 0);")

    def put(self, path, data, content_type="text/plain", encoding="", mtime=None, object_name=None,
            in_swift=True, expires_at=None):
        if isinstance(data, str):
            data = data.encode()
        object_name = object_name or path
        if in_swift:
            headers = {"Content-Encoding": encoding} if encoding else {}
            self.connection.put_object(self.container, object_name, data, content_type=content_type,
                                       headers=headers)
        mtime = int(mtime if mtime is not None else time.time())
        parent, name = split(path)
        expires = "NULL" if expires_at is None else str(int(expires_at))
        statements = [
            "INSERT INTO artifacts (path, parent, name, is_directory, size, mtime, content_type, content_encoding, "
            "sha256, etag, store, container, object, jti, expires_at) VALUES "
            f"({sql_bytes(path)}, {sql_bytes(parent)}, {sql_bytes(name)}, 0, {len(data)}, {mtime}, "
            f"'{content_type}', '{encoding}', '{hashlib.sha256(data).hexdigest()}', "
            f"'{hashlib.md5(data).hexdigest()}', 'swift', '{self.container}', {sql_bytes(object_name)}, "
            f"'import', {expires}) ON DUPLICATE KEY UPDATE size = VALUES(size), sha256 = VALUES(sha256), "
            "etag = VALUES(etag), mtime = VALUES(mtime), expires_at = VALUES(expires_at), "
            "content_encoding = VALUES(content_encoding), content_type = VALUES(content_type);"]
        for directory in parents(path):
            dir_parent, dir_name = split(directory)
            statements.append(
                "INSERT IGNORE INTO artifacts (path, parent, name, is_directory, mtime) VALUES "
                f"({sql_bytes(directory)}, {sql_bytes(dir_parent)}, {sql_bytes(dir_name)}, 1, {mtime});")
        self.mariadb.query("\n".join(statements))
        return data

    def put_large(self, path, size, block=1 << 20, pattern=None, content_type="application/octet-stream"):
        """An object of `size` bytes streamed from a repeated block, random unless `pattern`
        is given (never whole in memory)."""
        if pattern is None:
            pattern = os.urandom(block)
        block = len(pattern)
        sha, md5 = hashlib.sha256(), hashlib.md5()

        class Repeated:
            left = size

            def read(self, wanted=-1):
                piece = pattern[:min(block, self.left, wanted if wanted > 0 else block)]
                self.left -= len(piece)
                sha.update(piece)
                md5.update(piece)
                return piece

        self.connection.head_account()  # renews the client's token first: a stream cannot be sent twice
        self.connection.put_object(self.container, path, Repeated(), content_type=content_type,
                                   content_length=size, chunk_size=block)
        parent, name = split(path)
        self.mariadb.query(
            "INSERT INTO artifacts (path, parent, name, size, mtime, content_type, sha256, etag, container, object) "
            f"VALUES ({sql_bytes(path)}, {sql_bytes(parent)}, {sql_bytes(name)}, {size}, {int(time.time())}, "
            f"'{content_type}', '{sha.hexdigest()}', '{md5.hexdigest()}', '{self.container}', "
            f"{sql_bytes(path)});")
        for directory in parents(path):
            dir_parent, dir_name = split(directory)
            self.mariadb.query("INSERT IGNORE INTO artifacts (path, parent, name, is_directory, mtime) VALUES "
                               f"({sql_bytes(directory)}, {sql_bytes(dir_parent)}, {sql_bytes(dir_name)}, 1, 0);")

    def row(self, path):
        rows = self.mariadb.query(
            "SELECT size, sha256, container, object, content_encoding FROM artifacts "
            f"WHERE path = {sql_bytes(path)}")
        return rows[0] if rows else None


def storage_config(workdir, mariadb, swift, extra=""):
    """ArtifactsCatalogue + ArtifactsSwift lines for the fixture services."""
    key_file = swift.credentials_file(os.path.join(workdir, "swift.key"))
    return (f'ArtifactsCatalogue "{mariadb.catalogue_directive()}"\n'
            f"ArtifactsSwift {swift.swift_directive(key_file)}\n"
            f"ArtifactsSwiftContainer {CONTAINER}\n" + extra)
