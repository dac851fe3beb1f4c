"""The demo's local mail catcher: an SMTP server (aiosmtpd) that accepts every message and writes
it to a directory as <time>-<n>.eml, so the notification service's e-mail can be read without a
real mail server. For `./dev run` and tests only; it relays nothing."""

import itertools
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from devstack import free_port


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._numbers):05d}.eml"
        partial = self.directory / f".{name}.part"
        partial.write_bytes(content)
        partial.rename(self.directory / name)  # readers never see half a message
        return "250 Message accepted"


class MailCatcher:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.port = port or free_port()
        self._controller = Controller(_Writer(directory), hostname="127.0.0.1", port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def service_env(self) -> dict[str, str]:
        """What the notification service needs to send to it."""
        return {"NOTIFICATION_SMTP_HOST": "127.0.0.1", "NOTIFICATION_SMTP_PORT": str(self.port)}

    def messages(self) -> list[Path]:
        return sorted(self.directory.glob("*.eml"))
