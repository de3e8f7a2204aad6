"""A real MariaDB server (Debian's mariadb-server) in a temporary data directory,
listening on 127.0.0.1 on a free port, with the catalogue schema loaded and a
password-protected user for the module. Started and stopped by PID; stop() and start()
again keep the data (the outage tests restart it)."""
import os
import shutil
import signal
import subprocess
import time

from .ports import free_port, wait_for_port

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(REPO, "scripts", "schema.sql")
SERVER_BIN = shutil.which("mariadbd", path="/usr/sbin:/usr/bin") or "/usr/sbin/mariadbd"
INSTALL_BIN = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
CLIENT_BIN = shutil.which("mariadb") or "/usr/bin/mariadb"


class MariaDB:
    """One server: start() initialises the data directory the first time."""

    def __init__(self, workdir, database="artifacts", user="artifacts", password="catalogue-pw-0123456789",
                 server_options=()):
        self.workdir = workdir
        self.server_options = tuple(server_options)  # e.g. a larger buffer pool (bench/catalogue)
        self.datadir = os.path.join(workdir, "data")
        # The Unix socket path must stay under 108 bytes: keep it short, in /tmp.
        self.socket = os.path.join("/tmp", f"mariadb-{os.getpid()}-{id(self) % 100000}.sock")
        self.port = free_port()
        self.database = database
        self.user = user
        self.password = password
        self.process = None
        self.log = os.path.join(workdir, "mariadb.log")
        self.password_file = os.path.join(workdir, "db.pw")

    def _run_as(self):
        return ["--user=root"] if os.geteuid() == 0 else []

    def _initialise(self):
        os.makedirs(self.datadir, exist_ok=True)
        result = subprocess.run(
            [INSTALL_BIN, "--no-defaults", f"--datadir={self.datadir}", "--auth-root-authentication-method=normal",
             "--skip-test-db", *self._run_as()],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed:\n{result.stdout}\n{result.stderr}")

    def start(self):
        first = not os.path.isdir(os.path.join(self.datadir, "mysql"))
        if first:
            self._initialise()
        out = open(self.log, "ab")
        self.process = subprocess.Popen(
            [SERVER_BIN, "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
             f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={self.workdir}/mariadb.pid",
             "--skip-name-resolve", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=32M",
             "--innodb-flush-log-at-trx-commit=2", "--max-connections=400", *self.server_options, *self._run_as()],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        if not wait_for_port(self.port, 60, lambda: self.process.poll() is None):
            raise RuntimeError(f"mariadbd did not start:\n{self.log_tail()}")
        if first:
            self._create_catalogue()

    def _create_catalogue(self):
        with open(self.password_file, "w") as pw:
            pw.write(self.password + "\n")
        os.chmod(self.password_file, 0o644)
        self.root_sql(f"""
            CREATE DATABASE {self.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
            CREATE USER '{self.user}'@'127.0.0.1' IDENTIFIED BY '{self.password}';
            GRANT SELECT, INSERT, UPDATE, DELETE ON {self.database}.* TO '{self.user}'@'127.0.0.1';
        """)
        with open(SCHEMA) as schema:
            self.root_sql(schema.read(), database=self.database)

    def root_sql(self, sql, database=None):
        """Runs SQL as root over the Unix socket; returns the rows, tab-separated lines."""
        command = [CLIENT_BIN, "--no-defaults", f"--socket={self.socket}", "-uroot", "--batch", "--skip-column-names"]
        if database:
            command.append(database)
        result = subprocess.run(command, input=sql, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"mariadb client failed: {result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines()]

    def add_catalogue(self, name):
        """Another catalogue database, for the module's user; returns its ArtifactsCatalogue settings."""
        self.root_sql(f"""
            CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
            GRANT SELECT, INSERT, UPDATE, DELETE ON {name}.* TO '{self.user}'@'127.0.0.1';
        """)
        with open(SCHEMA) as schema:
            self.root_sql(schema.read(), database=name)
        return self.catalogue_directive().replace(f"dbname={self.database}", f"dbname={name}")

    def add_database(self, name, user, password):
        """Another database with its own user (for Keystone); returns its SQLAlchemy URL."""
        self.root_sql(f"""
            CREATE DATABASE {name} CHARACTER SET utf8mb4;
            CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}';
            GRANT ALL PRIVILEGES ON {name}.* TO '{user}'@'127.0.0.1';
        """)
        return f"mysql+pymysql://{user}:{password}@127.0.0.1:{self.port}/{name}"

    def query(self, sql):
        """A query in the catalogue database, as root."""
        return self.root_sql(sql, database=self.database)

    def catalogue_directive(self):
        return (f"host=127.0.0.1 port={self.port} user={self.user} password-file={self.password_file} "
                f"dbname={self.database}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # A stopped server must not still answer: wait until the port is closed.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and wait_for_port(self.port, 0.1):
            time.sleep(0.05)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines=30):
        try:
            with open(self.log, errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
