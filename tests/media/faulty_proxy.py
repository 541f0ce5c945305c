"""A TCP proxy in front of the real S3 server that can be down, or fail the first requests.

It binds its port up front but only listens when ``open()`` is called: until then the
kernel refuses connections (the server is "unreachable"), and nothing else can take the
port in between. ``fail_first`` connections get an HTTP 503 instead of being forwarded.
"""

from __future__ import annotations

import asyncio
import socket

SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/xml\r\n"
    b"Content-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


class FaultyProxy:
    """Forwards 127.0.0.1:<port> to ``upstream_host:upstream_port`` once opened."""

    def __init__(self, upstream_host: str, upstream_port: int, fail_first: int = 0) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.fail_first = fail_first
        self.connections = 0
        self.failed = 0
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self._server: asyncio.Server | None = None

    @property
    def endpoint_url(self) -> str:
        """The proxy's URL, to give to the client under test."""
        return f"http://127.0.0.1:{self.port}"

    async def open(self) -> None:
        """Start accepting connections on the reserved port."""
        self._server = await asyncio.start_server(self._handle, sock=self._socket)

    async def close(self) -> None:
        """Stop accepting and release the port."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        else:
            self._socket.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.failed < self.fail_first:
            self.failed += 1
            await reader.readuntil(b"\r\n\r\n")  # the request head; HEAD/GET have no body
            writer.write(SERVICE_UNAVAILABLE)
            await writer.drain()
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(
            self.upstream_host, self.upstream_port
        )
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionResetError:
        # Either side hanging up mid-stream is how keep-alive connections end here.
        return
    finally:
        writer.close()
