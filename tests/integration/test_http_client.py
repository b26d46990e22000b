"""The load benchmark's HTTP client reads what a server may send: lengths, chunks, closes, garbage."""

from __future__ import annotations

import asyncio

import pytest

from devtools.http_client import HTTPError, KeepAliveClient


async def _serve_once_each(replies: list[bytes]):
    """A loopback server that answers the n-th request on a connection with ``replies[n]``."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while replies:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1])
                seen.append(await reader.readexactly(length))
                writer.write(replies.pop(0))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def test_length_and_chunked_replies_on_one_kept_alive_connection():
    async def scenario():
        replies = [
            b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"a\": true}",
            b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"b\"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n",
        ]
        server, port, seen = await _serve_once_each(replies)
        async with server:
            client = KeepAliveClient(f"http://127.0.0.1:{port}", timeout=5)
            first = await client.post_json("/api/ask", {"message": "hi"})
            second = await client.post_json("/api/ask", {"message": "again"})
            await client.close()
        return first, second, seen

    first, second, seen = asyncio.run(scenario())
    assert first == (200, b'{"a": true}')
    assert second == (429, b'{"b": 1}')
    assert seen == [b'{"message": "hi"}', b'{"message": "again"}']


def test_a_server_that_hangs_up_or_talks_nonsense_is_an_error_not_a_hang():
    async def scenario():
        server, port, _ = await _serve_once_each([b"SMTP ready\r\n\r\n"])
        async with server:
            client = KeepAliveClient(f"http://127.0.0.1:{port}", timeout=5)
            with pytest.raises(HTTPError, match="ValueError"):
                await client.post_json("/", {})
            with pytest.raises(HTTPError):  # the server has closed the connection and lets no new one answer
                await client.post_json("/", {})

    asyncio.run(scenario())


def test_only_plain_http_urls():
    with pytest.raises(ValueError, match="only http://host:port"):
        KeepAliveClient("https://example.org", timeout=1)
