"""The README's snippet for verifying a webhook delivery agrees with how the service signs."""

import re
import time
from pathlib import Path
from typing import Any

from notification_service.domain.webhooks import sign

README = Path(__file__).parents[3] / "README.md"


def readme_verify() -> Any:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    [snippet] = [b for b in blocks if "def verify(" in b]
    scope: dict[str, Any] = {}
    exec(snippet, scope)  # the README's own code, as a receiver would paste it
    return scope["verify"]


def test_the_readme_snippet_accepts_a_signed_delivery_and_refuses_tampering_and_replays() -> None:
    verify = readme_verify()
    body = b'{"specversion":"1.0","type":"assignment.replied","data":{"outcome":"A"}}'
    now = int(time.time())
    header = sign("s3cret", body, now)
    assert verify("s3cret", header, body)
    assert not verify("other", header, body)
    assert not verify("s3cret", header, body.replace(b'"A"', b'"B"'))
    assert not verify("s3cret", sign("s3cret", body, now - 3600), body)  # replayed an hour later
