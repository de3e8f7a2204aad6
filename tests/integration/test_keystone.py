"""ArtifactsSwift v3: the module authenticates with a real Keystone (password, project
scope), finds Swift in the token's catalog, caches the token, and authenticates again
when Keystone revoked it. Swift here is a proxy with authtoken + keystoneauth in front of
the suite's Swift servers."""
import os

import pytest
import requests

from conftest import main_config, mint, new_dir
from scripts.services.keystone import Keystone
from storage_helpers import CONTAINER, sql_bytes, start_httpd
from upload_helpers import bearer, unique_scope

USER, PASSWORD, PROJECT = "artifacts", "artifacts-keystone-pw-0123", "ci"


@pytest.fixture(scope="module")
def keystone(workdir, swift, mariadb):
    server = Keystone(new_dir(workdir, "keystone"), mariadb.add_database("keystone", "keystone", "keystone-db-pw-0123"))
    server.start()
    project_id = server.add_user(USER, PASSWORD, PROJECT)
    proxy_url = swift.start_keystone_proxy(server)
    server.storage_url = f"{proxy_url}/v1/AUTH_{project_id}"
    yield server
    swift.stop_server("keystone-proxy")
    server.stop()


@pytest.fixture(scope="module")
def server(workdir, artifact_root, mariadb, keystone):
    password_file = os.path.join(workdir, "keystone-user.pw")
    with open(password_file, "w") as out:
        out.write(PASSWORD + "\n")
    os.chmod(password_file, 0o644)
    storage = (f'ArtifactsCatalogue "{mariadb.catalogue_directive()}"\n'
               f"ArtifactsSwift v3 {keystone.url} {USER} password-file={password_file} project={PROJECT} "
               "region=RegionOne\n"
               f"ArtifactsSwiftContainer {CONTAINER}\nArtifactsStore swift\n")
    server = start_httpd(workdir, "httpd-keystone", main_config(workdir, artifact_root, storage))
    yield server
    server.stop()


def object_in_swift(keystone, path):
    token, _ = keystone.token(USER, PASSWORD, PROJECT)
    return requests.get(f"{keystone.storage_url}/{CONTAINER}/{path}", headers={"X-Auth-Token": token}, timeout=30)


def test_upload_and_read_with_keystone_v3(server, keystone, mariadb):
    scope = unique_scope("keystone")
    data = os.urandom(100_000)
    put = requests.put(f"{server.url}/{scope}blob.tar.gz", data=data,
                       headers=bearer(mint(scope, kinds=("tarballs",))))
    assert put.status_code == 201, put.text
    # In the project's own account, which the catalog's endpoint named.
    stored = object_in_swift(keystone, f"{scope}blob.tar.gz")
    assert stored.status_code == 200 and stored.content == data
    assert mariadb.query(f"SELECT size FROM artifacts WHERE path = {sql_bytes(scope + 'blob.tar.gz')}") == [
        [str(len(data))]]
    assert requests.get(f"{server.url}/{scope}blob.tar.gz").content == data


def test_revoked_keystone_token_is_replaced(server, keystone):
    scope = unique_scope("keystone")
    token = mint(scope)
    assert requests.put(f"{server.url}/{scope}a.txt", data=b"before\n", headers=bearer(token)).status_code == 201
    earlier, _ = keystone.token(USER, PASSWORD, PROJECT)
    # The module's renewal most likely falls in the revocation's second, and Keystone refuses
    # that token too (see revoke_user_tokens): the module must wait for the next second and renew again.
    keystone.revoke_user_tokens(USER)
    assert requests.get(f"{server.url}/{scope}a.txt", headers={"Accept": "*/*"}).text == "before\n"
    # Every token the user held before is refused now.
    assert requests.get(f"{keystone.storage_url}/{CONTAINER}/{scope}a.txt", headers={"X-Auth-Token": earlier},
                        timeout=30).status_code == 401
    keystone.revoke_user_tokens(USER)
    after = requests.put(f"{server.url}/{scope}b.txt", data=b"after\n", headers=bearer(token))
    assert after.status_code == 201, after.text
    assert object_in_swift(keystone, f"{scope}b.txt").content == b"after\n"
