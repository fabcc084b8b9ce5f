"""Closed-loop HTTP load generator for ``hflab bench serve`` (runs as its own process: no hflab imports).

Reads one JSON object on stdin: ``{"url", "path", "payloads", "clients", "requests", "timeout", "headers"}``;
`clients` concurrent clients, each on its own keep-alive HTTP/1.1 connection, send the next POST as soon
as the previous answer arrived, until `requests` were sent. Prints one JSON object:
``{"latencies_ms", "status", "transport", "seconds"}``.

Like ``wrk`` or ``hey``, it is a minimal client (asyncio streams, no HTTP library) so that measuring the
server does not mostly measure the client; and a process of its own, so the clients do not share the
server's interpreter lock (real clients would not). Bodies are pre-encoded once.

Used in: ``hflab.serve.run_load`` (``hflab bench serve``, tests/test_serve.py).
"""
import asyncio
import collections
import json
import sys
import time
from urllib.parse import urlsplit


class _Conn:
    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def post(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        self.writer.write(request)
        await self.writer.drain()
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), self.timeout)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await asyncio.wait_for(self.reader.readexactly(int(headers["content-length"])), self.timeout)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body


async def load(url, path, payloads, clients, requests, timeout, headers):
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    encoded = []
    for p in payloads:
        body = json.dumps(p).encode("utf-8")
        encoded.append((f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n{extra}\r\n").encode("latin-1") + body)
    counter = {"next": 0}
    latencies = []
    statuses = collections.Counter()
    transport = collections.Counter()

    async def worker():
        conn = _Conn(host, port, timeout)
        try:
            while True:
                i = counter["next"]
                if i >= requests:
                    return
                counter["next"] = i + 1
                t0 = time.perf_counter()
                try:
                    status, _ = await conn.post(encoded[i % len(encoded)])
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ValueError) as e:
                    transport[type(e).__name__] += 1
                    conn.close()
                    continue
                statuses[status] += 1
                latencies.append((time.perf_counter() - t0) * 1000.0)
        finally:
            conn.close()

    t_start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    seconds = time.perf_counter() - t_start
    return {"latencies_ms": latencies, "status": {str(k): v for k, v in statuses.items()},
            "transport": dict(transport), "seconds": seconds}


def main():
    cfg = json.load(sys.stdin)
    out = asyncio.run(load(cfg["url"], cfg.get("path", "/"), cfg["payloads"], int(cfg["clients"]),
                           int(cfg["requests"]), float(cfg.get("timeout", 120.0)), cfg.get("headers") or {}))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
