"""A fake Asterisk for the benchmarks: answers Login, Ping and the resync lists (empty), then
lets the benchmark write whatever event stream it measures."""

from __future__ import annotations

import asyncio

from standardiste.ami_bridge.wire import Framer


class FakeAsterisk:
    """Answers Login, Ping and the resync lists (empty), then sends what ``push`` is given."""

    def __init__(self) -> None:
        self.writer: asyncio.StreamWriter | None = None
        self.resynced = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        framer = Framer(on_garbage=lambda *_: None)
        try:
            while data := await reader.read(65536):
                for action in framer.feed(data):
                    name = action.get("Action", "")
                    aid = action.get("ActionID", "")
                    if name.lower() in ("queuestatus", "coreshowchannels", "devicestatelist"):
                        reply = (
                            f"Response: Success\r\nActionID: {aid}\r\nEventList: start\r\n"
                            f"Message: will follow\r\n\r\nEvent: {name}Complete\r\n"
                            f"ActionID: {aid}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"
                        )
                        writer.write(reply.encode())
                        if name.lower() == "devicestatelist":
                            self.writer = writer
                            self.resynced.set()
                    else:
                        writer.write(
                            f"Response: Success\r\nActionID: {aid}\r\nMessage: ok\r\n\r\n".encode()
                        )
        except ConnectionError:
            pass
        finally:
            writer.close()

    def send(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)

    async def aclose(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def push(self, chunks: list[bytes]) -> None:
        """Write ``chunks`` as fast as the bridge's socket takes them (whole messages each)."""
        assert self.writer is not None
        for chunk in chunks:
            self.writer.write(chunk)
            await self.writer.drain()
