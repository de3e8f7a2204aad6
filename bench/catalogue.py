"""Driver of bench/catalogue. Loads a MariaDB catalogue with ROWS rows shaped like
OpenStack's logs (paths of 6 to 9 segments: NN/CHANGE/PATCHSET/PIPELINE/JOB/BUILD/..., 50 to
500 files per build, their directories, and one directory of 10,000 files), the first tenth
of the builds' files already past their expiry; then times, with the module's own catalogue
code (bench/catalogue-probe):

  - exact lookups of random live files (p50, p99),
  - the listing of the 10,000-entry directory,
  - an upload's catalogue commit (token row locked and charged, file and directory rows)
    on 16 writers at once,
  - artifacts-prune swift removing the expired rows (a tenth of the files) while lookups go
    on: its time, and the lookups' p99 and longest wait meanwhile.

The expired rows name no Swift object (an empty container): the prune's database work is
measured, not Swift's deletes."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from scripts.services.httpd import make_accessible  # noqa: E402
from scripts.services.mariadb import MariaDB  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(REPO, "build", "bench", "catalogue-probe")
PRUNE = os.path.join(REPO, "build", "artifacts-prune")
COLUMNS = ("path, parent, name, is_directory, size, mtime, content_type, content_encoding, sha256, etag, store, "
           "container, object, jti, build, job, expires_at")
FILE_NAMES = ["job-output.txt", "job-output.json", "zuul-info/inventory.yaml", "zuul-info/host-info.primary.yaml",
              "logs/devstacklog.txt", "logs/screen-n-api.txt", "logs/screen-n-cpu.txt", "logs/etc/nova/nova.conf",
              "logs/etc/neutron/neutron.conf", "logs/etc/keystone/keystone.conf", "logs/libvirt/qemu/instance.txt",
              "logs/apache/keystone.txt", "logs/testr_results.html", "logs/tempest_log.txt"]


def directories_of(path):
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def split(path):
    stripped = path.rstrip("/")
    slash = stripped.rfind("/")
    return (stripped[:slash + 1], stripped[slash + 1:])


class Generator:
    """Writes the rows as TSV files of `chunk` file rows each (with their new directories)."""

    def __init__(self, rows, workdir, chunk=500000):
        self.rows = rows
        self.workdir = workdir
        self.chunk = chunk
        self.rng = random.Random(2026)
        self.seen_directories = set()
        self.live_sample = []
        self.expired_files = 0
        self.files = 0
        self.total = 0

    def line(self, path, is_directory, size, mtime, expires):
        parent, name = split(path)
        esc = lambda text: text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")  # noqa: E731
        return "\t".join([esc(path), esc(parent), esc(name), "1" if is_directory else "0", str(size), str(mtime),
                          "" if is_directory else "text/plain", "", "a" * 64 if not is_directory else "",
                          "b" * 32 if not is_directory else "", "swift", "", esc(path) if not is_directory else "",
                          "bench", "", "", str(expires) if expires else "\\N"]) + "\n"

    def chunks(self):
        now = int(time.time())
        build = 0
        out, path_of_chunk, in_chunk = None, None, 0
        big_done = False
        while self.total < self.rows:
            if out is None:
                path_of_chunk = os.path.join(self.workdir, f"rows-{self.total}.tsv")
                out = open(path_of_chunk, "w")
                in_chunk = 0
            if not big_done:
                files = [f"big/listing/log-{i:05d}.txt" for i in range(10000)]
                big_done = True
                expired = False
            else:
                build += 1
                change = 800000 + build // 3
                prefix = (f"{change % 100:02d}/{change}/{build % 5 + 1}/{'check' if build % 4 else 'gate'}/"
                          f"tempest-full-{build % 37}/{build:07x}/")
                count = self.rng.randint(50, 500)
                files = [prefix + FILE_NAMES[i % len(FILE_NAMES)].replace(".", f"-{i}.", 1) for i in range(count)]
                expired = self.files < self.rows // 10
            for path in files:
                for directory in directories_of(path):
                    if directory not in self.seen_directories:
                        self.seen_directories.add(directory)
                        out.write(self.line(directory, True, 0, now, None))
                        self.total += 1
                out.write(self.line(path, False, self.rng.randint(1000, 200000), now - 86400,
                                    now - 3600 if expired else None))
                self.total += 1
                self.files += 1
                in_chunk += 1
                if expired:
                    self.expired_files += 1
                elif len(self.live_sample) < 20000:
                    self.live_sample.append(path)
                elif self.rng.random() < 0.01:
                    self.live_sample[self.rng.randrange(len(self.live_sample))] = path
            if len(self.seen_directories) > 2000000:
                self.seen_directories.clear()  # builds never share directories below their prefix
            if in_chunk >= self.chunk or self.total >= self.rows:
                out.close()
                out = None
                yield path_of_chunk
        if out is not None:
            out.close()
            yield path_of_chunk


def probe(*args):
    result = subprocess.run([PROBE, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr)
    return result.stdout.strip()


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    pool = sys.argv[2] if len(sys.argv) > 2 else "4G"
    workdir = tempfile.mkdtemp(prefix="mod_artifacts-bench-catalogue-")
    make_accessible(workdir)
    mariadb = None
    try:
        os.makedirs(os.path.join(workdir, "mariadb"))
        mariadb = MariaDB(os.path.join(workdir, "mariadb"), server_options=(
            f"--innodb-buffer-pool-size={pool}", "--innodb-log-file-size=1G", "--innodb-flush-log-at-trx-commit=1"))
        mariadb.start()
        settings = mariadb.catalogue_directive()
        print(f"bench/catalogue: {rows:,} rows, innodb_buffer_pool_size={pool}, durable commits "
              "(innodb_flush_log_at_trx_commit=1)", flush=True)
        generator = Generator(rows, workdir)
        started = time.monotonic()
        for chunk in generator.chunks():
            load = subprocess.run(
                ["mariadb", "--no-defaults", f"--socket={mariadb.socket}", "-uroot", "--local-infile=1",
                 mariadb.database, "-e",
                 f"SET unique_checks = 0; LOAD DATA LOCAL INFILE '{chunk}' INTO TABLE artifacts ({COLUMNS});"],
                capture_output=True, text=True)
            if load.returncode != 0:
                raise RuntimeError(load.stderr)
            os.unlink(chunk)
            print(f"  loaded {generator.total:,} rows in {time.monotonic() - started:.0f} s", flush=True)
        print(f"loaded: {generator.total:,} rows ({generator.files:,} files, {generator.expired_files:,} expired) "
              f"in {time.monotonic() - started:.0f} s", flush=True)
        mariadb.root_sql("ANALYZE TABLE artifacts", database=mariadb.database)
        sizes = mariadb.root_sql("SELECT ROUND(data_length / 1048576), ROUND(index_length / 1048576) "
                                 "FROM information_schema.tables WHERE table_schema = DATABASE() "
                                 "AND table_name = 'artifacts'", database=mariadb.database)[0]
        indexes = mariadb.root_sql("SELECT index_name, ROUND(stat_value * @@innodb_page_size / 1048576) "
                                   "FROM mysql.innodb_index_stats WHERE database_name = DATABASE() "
                                   "AND table_name = 'artifacts' AND stat_name = 'size' ORDER BY index_name",
                                   database=mariadb.database)
        print(f"table: {sizes[0]} MiB of rows (the primary key), {sizes[1]} MiB of secondary indexes (" +
              ", ".join(f"{name} {mib} MiB" for name, mib in indexes if name != "PRIMARY") + ")", flush=True)
        sample = os.path.join(workdir, "lookups.txt")
        with open(sample, "w") as out:
            out.write("\n".join(generator.live_sample) + "\n")
        print(probe("lookups", settings, sample, "10"), flush=True)
        print(probe("listing", settings, "big/listing/", "20"), flush=True)
        print(probe("commits", settings, "16", "200"), flush=True)
        key = os.path.join(workdir, "swift.key")
        with open(key, "w") as out:
            out.write("unused\n")
        stop = os.path.join(workdir, "stop")
        reader = subprocess.Popen([PROBE, "lookups", settings, sample, "0", stop], stdout=subprocess.PIPE, text=True)
        time.sleep(1)
        started = time.monotonic()
        prune = subprocess.run([PRUNE, "swift", "--catalogue", settings, "--swift",
                                f"v1 http://127.0.0.1:9/auth/v1.0 a:b key-file={key}", "--container", "unused"],
                               capture_output=True, text=True)
        took = time.monotonic() - started
        open(stop, "w").close()
        during = reader.communicate()[0].strip()
        out, err = prune.stdout, prune.stderr
        if prune.returncode != 0 or reader.returncode != 0:
            raise RuntimeError(err)
        print(f"prune: {out.strip()} in {took:.0f} s ({generator.expired_files / took:,.0f} rows/s)")
        print(f"during the prune, {during}")
    finally:
        if mariadb is not None:
            mariadb.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
