"""What the catalogue and Swift tests share (see scripts/services/catalogue_import.py)."""
from conftest import new_dir
from scripts.services.catalogue_import import CONTAINER, Catalogued, sql_bytes, storage_config  # noqa: F401
from scripts.services.httpd import Httpd


def start_httpd(workdir, name, body):
    server_dir = new_dir(workdir, name)
    docroot = new_dir(workdir, name + "-docroot")
    server = Httpd(server_dir, docroot)
    server.write_config(body)
    server.start()
    return server
