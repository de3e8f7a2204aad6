"""A TCP proxy between the module and MariaDB that reads the client/server protocol well
enough to recognise statements, and can lose the connection at a chosen one.

Packets are 3 bytes of length, 1 of sequence, then the payload; a command starts a
client packet of sequence 0 and its first byte says which: COM_QUERY (3) carries SQL
text (START TRANSACTION, COMMIT), COM_STMT_PREPARE (0x16) carries a statement's SQL and
the server's first answer names its id, COM_STMT_EXECUTE (0x17) runs an id. So every
command maps to the SQL it runs.

A fault is armed with `arm(pattern, action, within=None)`: the next command whose SQL
matches `pattern` (a regular expression), on a connection whose open transaction has run
a statement matching `within` (when given), gets the action:
  drop_before   the command is never forwarded; both connections are closed.
  drop_after    the command is forwarded and the server's answer awaited, then both
                connections are closed without passing it on: the server did the work, the
                client never hears of it.
  stall_after   as drop_after, but the client's connection is held silent for
                `stall` seconds first (a client read timeout fires).
Each armed fault fires once; `fired` counts the faults that did."""
import re
import socket
import struct
import threading
import time

COM_QUERY = 0x03
COM_STMT_PREPARE = 0x16
COM_STMT_EXECUTE = 0x17


class _Fault:
    def __init__(self, pattern, action, within, stall):
        self.pattern = re.compile(pattern, re.IGNORECASE)
        self.action = action
        self.within = re.compile(within, re.IGNORECASE) if within else None
        self.stall = stall


def _read_packet(sock, buffer):
    """One whole packet (header + payload) from sock, or None at the end."""
    while True:
        if len(buffer) >= 4:
            length = buffer[0] | buffer[1] << 8 | buffer[2] << 16
            if len(buffer) >= 4 + length:
                packet = bytes(buffer[:4 + length])
                del buffer[:4 + length]
                return packet
        try:
            chunk = sock.recv(65536)
        except OSError:
            return None
        if not chunk:
            return None
        buffer.extend(chunk)


class SqlFaultProxy:
    def __init__(self, upstream_port, host="127.0.0.1"):
        self.upstream = (host, upstream_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.faults = []
        self.fired = []
        self.connections = set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, pattern, action, within=None, stall=0):
        with self.lock:
            self.faults.append(_Fault(pattern, action, within, stall))

    def disarm(self):
        with self.lock:
            self.faults.clear()

    def close(self):
        self.closed = True
        self.listener.close()
        with self.lock:
            for pair in list(self.connections):
                for sock in pair:
                    _close(sock)

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                _close(client)
                continue
            pair = (client, server)
            with self.lock:
                self.connections.add(pair)
            _Session(self, client, server).start()

    def _take_fault(self, sql, transaction):
        with self.lock:
            for fault in self.faults:
                if fault.pattern.search(sql) and (
                        fault.within is None or any(fault.within.search(s) for s in transaction)):
                    self.faults.remove(fault)
                    self.fired.append((fault.action, sql))
                    return fault
        return None

    def _forget(self, client, server):
        with self.lock:
            self.connections.discard((client, server))


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class _Session:
    """One proxied connection: a thread per direction."""

    def __init__(self, proxy, client, server):
        self.proxy = proxy
        self.client = client
        self.server = server
        self.statements = {}  # statement id -> SQL
        self.preparing = None  # SQL of a COM_STMT_PREPARE awaiting its id
        self.transaction = []  # SQL since the last COMMIT or ROLLBACK
        self.hold = None  # set while a fault swallows the server's answer
        self.answered = threading.Event()
        self.done = False

    def start(self):
        threading.Thread(target=self._from_client, daemon=True).start()
        threading.Thread(target=self._from_server, daemon=True).start()

    def _end(self):
        if not self.done:
            self.done = True
            _close(self.client)
            _close(self.server)
            self.proxy._forget(self.client, self.server)

    def _sql_of(self, payload):
        command = payload[0]
        if command in (COM_QUERY, COM_STMT_PREPARE):
            return payload[1:].decode("utf-8", "replace")
        if command == COM_STMT_EXECUTE and len(payload) >= 5:
            return self.statements.get(struct.unpack("<I", payload[1:5])[0], "")
        return ""

    def _from_client(self):
        buffer = bytearray()
        first = True
        while not self.done:
            packet = _read_packet(self.client, buffer)
            if packet is None:
                break
            payload = packet[4:]
            fault = None
            if not first and packet[3] == 0 and payload:
                if payload[0] == COM_STMT_PREPARE:
                    self.preparing = self._sql_of(payload)
                elif payload[0] in (COM_QUERY, COM_STMT_EXECUTE):
                    sql = self._sql_of(payload)
                    fault = self.proxy._take_fault(sql, self.transaction)
                    if re.match(r"\s*(COMMIT|ROLLBACK)", sql, re.IGNORECASE):
                        self.transaction = []
                    else:
                        self.transaction.append(sql)
            first = False
            if fault is None:
                try:
                    self.server.sendall(packet)
                except OSError:
                    break
                continue
            if fault.action == "drop_before":
                break
            self.hold = fault
            self.answered.clear()
            try:
                self.server.sendall(packet)
            except OSError:
                break
            self.answered.wait(10)
            if fault.action == "stall_after":
                time.sleep(fault.stall)
            break
        self._end()

    def _from_server(self):
        buffer = bytearray()
        while not self.done:
            packet = _read_packet(self.server, buffer)
            if packet is None:
                break
            if self.preparing is not None and packet[3] == 1:
                if packet[4] == 0 and len(packet) >= 9:
                    self.statements[struct.unpack("<I", packet[5:9])[0]] = self.preparing
                self.preparing = None
            if self.hold is not None:
                self.answered.set()  # swallowed: the client never hears it
                continue
            try:
                self.client.sendall(packet)
            except OSError:
                break
        self._end()
