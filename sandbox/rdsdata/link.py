"""A replication link: the TCP path from a replica's WAL receiver to its source, with a lag and a pause.

RDS replicas are asynchronous: what the source wrote in the last `lag` seconds has not reached the replica, and
is lost if the replica is promoted when the source is gone. PostgreSQL's own `recovery_min_apply_delay` cannot
model that (promotion applies everything already received), so the delay sits on the wire: the link forwards the
source's messages to the replica only `lag` seconds after they arrived, holds them all while paused, and drops
whatever it still holds when cut (promotion, deletion). What the replica never received it never has.

Messages are framed (type byte + length) so that the connection handshake and the start of streaming pass
undelayed, and only the stream itself (after CopyBothResponse 'W') is delayed. The replica's connection string
disables SSL and GSS encryption, so every server message is framed.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque

log = logging.getLogger("sandbox.rdsdata.link")


class ReplicationLink:
    def __init__(self, name: str, upstream_port: int, lag_seconds: float = 0.0):
        self.name = name
        self.upstream_port = upstream_port
        self._lag = float(lag_seconds)
        self._paused_at: float | None = None  # wall-clock time of pause (for the ReplicaLag metric)
        self._cond = threading.Condition()
        self._closed = False
        self._sessions: list[_Session] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, name=f"link-{name}", daemon=True).start()

    # -- knobs -----------------------------------------------------------------------------------------------------
    @property
    def lag_seconds(self) -> float:
        return self._lag

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    @property
    def paused_at(self) -> float | None:
        return self._paused_at

    def lag_now(self) -> float:
        """The lag a replica's metric shows now: the configured lag, growing while paused."""
        paused_at = self._paused_at
        return round(self._lag + (time.time() - paused_at if paused_at is not None else 0.0), 3)

    def configure(self, lag_seconds: float | None = None, paused: bool | None = None) -> None:
        with self._cond:
            if lag_seconds is not None:
                self._lag = max(0.0, float(lag_seconds))
            if paused is True and self._paused_at is None:
                self._paused_at = time.time()
            elif paused is False:
                self._paused_at = None
            self._cond.notify_all()

    def held_messages(self) -> int:
        with self._cond:
            return sum(len(s.queue) for s in self._sessions)

    def cut(self) -> int:
        """Stop for good: drop every message not yet delivered, close all connections. Returns messages dropped."""
        with self._cond:
            self._closed = True
            dropped = sum(len(s.queue) for s in self._sessions)
            sessions, self._sessions = self._sessions, []
            self._cond.notify_all()
        try:
            self._listener.close()
        except OSError:
            pass
        for s in sessions:
            s.close()
        if dropped:
            log.info("link %s cut with %d undelivered messages", self.name, dropped)
        return dropped

    # -- plumbing --------------------------------------------------------------------------------------------------
    def frames(self, session: "_Session", buf: bytes) -> tuple[list[tuple[bool, bytes]], bytes]:
        """Split the source's bytes into whole messages: ([(delayed?, message), ...], the rest). PostgreSQL's framing
        (type byte + length); only the WAL stream, after CopyBothResponse 'W', is delayed. A subclass frames another
        protocol (sandbox/elasticache.py: Redis replication)."""
        msgs = []
        while len(buf) >= 5:
            length = int.from_bytes(buf[1:5], "big")
            if len(buf) < 1 + length:
                break
            msg, buf = buf[:1 + length], buf[1 + length:]
            msgs.append((session.streaming, msg))
            if msg[:1] == b"W":  # CopyBothResponse: the WAL stream starts after this message
                session.streaming = True
        return msgs, buf

    def _accept_loop(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return  # listener closed by cut()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError as exc:
                log.warning("link %s: source port %d unreachable: %s", self.name, self.upstream_port, exc)
                downstream.close()
                continue
            with self._cond:
                if self._closed:
                    upstream.close()
                    downstream.close()
                    return
                session = _Session(self, upstream, downstream)
                self._sessions.append(session)
            session.start()

    def _drop(self, session: "_Session") -> None:
        with self._cond:
            if session in self._sessions:
                self._sessions.remove(session)
            self._cond.notify_all()


class _Session:
    """One replica connection: replica->source bytes pass straight; source->replica messages go through a queue."""

    def __init__(self, link: ReplicationLink, upstream: socket.socket, downstream: socket.socket):
        self.link = link
        self.upstream = upstream
        self.downstream = downstream
        self.queue: deque[tuple[float, bytes]] = deque()  # (arrival time, message), guarded by link._cond
        self.streaming = False
        self.done = False

    def start(self) -> None:
        n = self.link.name
        threading.Thread(target=self._pump_to_source, name=f"link-{n}-up", daemon=True).start()
        threading.Thread(target=self._read_source, name=f"link-{n}-read", daemon=True).start()
        threading.Thread(target=self._deliver, name=f"link-{n}-deliver", daemon=True).start()

    def close(self) -> None:
        with self.link._cond:
            self.done = True
            self.queue.clear()
            self.link._cond.notify_all()
        for sock in (self.upstream, self.downstream):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _finish(self) -> None:
        self.close()
        self.link._drop(self)

    def _pump_to_source(self) -> None:
        try:
            while True:
                data = self.downstream.recv(65536)
                if not data:
                    break
                self.upstream.sendall(data)
        except OSError:
            pass
        self._finish()

    def _read_source(self) -> None:
        buf = b""
        try:
            while True:
                data = self.upstream.recv(65536)
                if not data:
                    break
                buf += data
                msgs, buf = self.link.frames(self, buf)
                with self.link._cond:
                    for streaming, msg in msgs:
                        self.queue.append((time.monotonic() if streaming else float("-inf"), msg))
                    self.link._cond.notify_all()
        except OSError:
            pass
        self._finish()

    def _deliver(self) -> None:
        cond = self.link._cond
        while True:
            with cond:
                while True:
                    if self.done:
                        return
                    wait: float | None = None
                    if self.queue and not self.link.paused:
                        due = self.queue[0][0] + self.link.lag_seconds
                        wait = due - time.monotonic()
                        if wait <= 0:
                            batch = []
                            now = time.monotonic()
                            while self.queue and self.queue[0][0] + self.link.lag_seconds <= now:
                                batch.append(self.queue.popleft()[1])
                            break
                    cond.wait(wait)
            try:
                self.downstream.sendall(b"".join(batch))
            except OSError:
                self._finish()
                return
