"""The other ways to serve Swift objects: a 302 to a temp URL (ArtifactsSwiftServe
redirect) and listing mode (ArtifactsSwiftListing On: no catalogue, the container is
listed and served directly where the filesystem has nothing)."""
import os
import uuid

import pytest
import requests

from conftest import main_config
from storage_helpers import CONTAINER, Catalogued, start_httpd, start_listing_httpd
from test_htmlify import get_page
from test_serve import write

TEMP_URL_KEY = "temp-url-key-0123456789"


@pytest.fixture(scope="module")
def temp_url_key(workdir, swift):
    path = os.path.join(workdir, "temp-url.key")
    with open(path, "w") as key_file:
        key_file.write(TEMP_URL_KEY + "\n")
    os.chmod(path, 0o644)
    swift.connection().post_account({"X-Account-Meta-Temp-URL-Key": TEMP_URL_KEY})
    return path


@pytest.fixture(scope="module")
def catalogued(mariadb, swift):
    return Catalogued(mariadb, swift)


@pytest.fixture(scope="module")
def redirecting(workdir, artifact_root, mariadb, swift, temp_url_key):
    key_file = swift.credentials_file(os.path.join(workdir, "swift.key"))
    config = (f'ArtifactsCatalogue "{mariadb.catalogue_directive()}"\n'
              f"ArtifactsSwift {swift.swift_directive(key_file)} temp-url-key-file={temp_url_key}\n"
              f"ArtifactsSwiftContainer {CONTAINER}\nArtifactsSwiftServe redirect 2m\n")
    server = start_httpd(workdir, "httpd-redirect", main_config(workdir, artifact_root, config))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def listing(workdir, artifact_root, swift):
    # Seven names a listing request, so that a directory of 30 takes five pages.
    server = start_listing_httpd(workdir, artifact_root, swift, "httpd-listing", "listed", " listing-page=7")
    yield server
    server.stop()


def test_redirect_mode_answers_302_to_a_working_temp_url(redirecting, catalogued, swift):
    prefix = f"redir/{uuid.uuid4().hex[:8]}/"
    data = catalogued.put(prefix + "artifact.bin", os.urandom(5000), content_type="application/octet-stream")
    response = requests.get(f"{redirecting.url}/{prefix}artifact.bin", allow_redirects=False)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(swift.storage_url + f"/{CONTAINER}/{prefix}artifact.bin?temp_url_sig=")
    assert "temp_url_expires=" in location
    assert response.headers["Cache-Control"] == "private, max-age=60"
    followed = requests.get(location)
    assert followed.status_code == 200 and followed.content == data
    # The signature covers the object: another name with it is refused by Swift.
    assert requests.get(location.replace("artifact.bin", "other.bin")).status_code == 401


def test_redirect_mode_still_renders_log_pages_itself(redirecting, catalogued):
    prefix = f"redir/{uuid.uuid4().hex[:8]}/"
    catalogued.put(prefix + "job-output.txt", "2026-11-25 10:00:00.000 1 WARNING x [-] careful\n")
    _, page = get_page(f"{redirecting.url}/{prefix}job-output.txt", allow_redirects=False)
    assert [line["classes"][:1] for line in page.lines] == [["WARNING"]]
    raw = requests.get(f"{redirecting.url}/{prefix}job-output.txt", allow_redirects=False)
    assert raw.status_code == 302


def test_listing_mode_lists_the_container(listing, swift):
    connection = swift.connection()
    connection.put_container("listed")
    prefix = f"worker/{uuid.uuid4().hex[:8]}/"
    connection.put_object("listed", prefix + "job-output.txt", b"from a worker\n", content_type="text/plain")
    connection.put_object("listed", prefix + "logs/a.log", b"a\n", content_type="text/plain")
    connection.put_object("listed", prefix + "logs/b.log", b"bb\n", content_type="text/plain")
    top = requests.get(f"{listing.url}/{prefix}", params={"format": "json"})
    assert top.status_code == 200
    entries = {entry["name"]: entry for entry in top.json()["entries"]}
    assert set(entries) == {"job-output.txt", "logs"}
    assert entries["logs"]["type"] == "directory"
    assert entries["job-output.txt"]["size"] == len(b"from a worker\n")
    assert [e["name"] for e in requests.get(f"{listing.url}/{prefix}logs/?format=json").json()["entries"]] == [
        "a.log", "b.log"]
    assert requests.get(f"{listing.url}/{prefix}job-output.txt", headers={"Accept": "*/*"}).text == \
        "from a worker\n"
    folder = requests.get(f"{listing.url}/{prefix}logs", allow_redirects=False)
    assert folder.status_code == 301 and folder.headers["Location"].endswith(f"/{prefix}logs/")
    assert requests.get(f"{listing.url}/{prefix}nothing.txt").status_code == 404
    assert requests.get(f"{listing.url}/{prefix}nothing/").status_code == 404


def test_listing_mode_pages_through_long_listings(listing, swift):
    connection = swift.connection()
    connection.put_container("listed")
    prefix = f"many/{uuid.uuid4().hex[:8]}/"
    for i in range(30):
        connection.put_object("listed", f"{prefix}f{i:03d}.txt", b"x")
    for i in range(3):
        connection.put_object("listed", f"{prefix}sub{i}/inner.txt", b"y")
    names = [e["name"] for e in requests.get(f"{listing.url}/{prefix}?format=json").json()["entries"]]
    assert names == [f"sub{i}" for i in range(3)] + [f"f{i:03d}.txt" for i in range(30)]


def test_listing_mode_prefers_the_filesystem(listing, swift, artifact_root):
    prefix = f"both/{uuid.uuid4().hex[:8]}/"
    write(artifact_root, prefix + "disk.txt", "disk\n")
    connection = swift.connection()
    connection.put_container("listed")
    connection.put_object("listed", prefix + "disk.txt", b"swift\n")
    connection.put_object("listed", prefix + "only-swift.txt", b"only\n")
    assert requests.get(f"{listing.url}/{prefix}disk.txt").text == "disk\n"
    assert requests.get(f"{listing.url}/{prefix}only-swift.txt", headers={"Accept": "*/*"}).text == "only\n"
    names = [e["name"] for e in requests.get(f"{listing.url}/{prefix}?format=json").json()["entries"]]
    assert names == ["disk.txt", "only-swift.txt"]
