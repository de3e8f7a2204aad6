"""What the catalogue and Swift tests share (see scripts/services/catalogue_import.py)."""
import os

from conftest import main_config, new_dir
from scripts.services.catalogue_import import CONTAINER, Catalogued, sql_bytes, storage_config  # noqa: F401
from scripts.services.httpd import Httpd


def start_httpd(workdir, name, body):
    server_dir = new_dir(workdir, name)
    docroot = new_dir(workdir, name + "-docroot")
    server = Httpd(server_dir, docroot)
    server.write_config(body)
    server.start()
    return server


def start_listing_httpd(workdir, artifact_root, swift, name, container, swift_options="", extra=""):
    """A server in listing mode (no catalogue) over `container`; `extra` directives follow."""
    key_file = swift.credentials_file(os.path.join(workdir, "swift.key"))
    config = (f"ArtifactsSwift {swift.swift_directive(key_file)}{swift_options}\n"
              f"ArtifactsSwiftContainer {container}\nArtifactsSwiftListing On\n{extra}")
    return start_httpd(workdir, name, main_config(workdir, artifact_root, config))


class OwnCatalogue:
    """A catalogue database, a container and a swift-store httpd of a test module's own, for
    the tools that sweep whole catalogues or containers (artifacts-import, artifacts-prune)."""

    def __init__(self, workdir, mariadb, swift, name, database, container):
        self.mariadb = mariadb
        self.database = database
        self.container = container
        self.catalogue = mariadb.add_catalogue(database)
        self.swift_settings = swift.swift_directive(swift.credentials_file(os.path.join(workdir, "swift.key")))
        self.swift = swift.connection()
        home = new_dir(workdir, name)
        self.root = new_dir(home, "artifacts")
        self.server = Httpd(new_dir(home, "httpd"), new_dir(home, "docroot"))
        self.server.write_config(main_config(home, self.root, (
            f'ArtifactsCatalogue "{self.catalogue}"\n'
            f"ArtifactsSwift {self.swift_settings}\n"
            f"ArtifactsSwiftContainer {container}\n"
            "ArtifactsStore swift\n")))
        self.server.start()

    def sql(self, statement):
        return self.mariadb.root_sql(statement, database=self.database)
