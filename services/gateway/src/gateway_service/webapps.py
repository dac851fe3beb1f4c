"""The built web clients served as static files (DESIGN section 3): the members' app at /m/ and
the staff console at /console/.

A single-page app routes in the browser, so a path under /m/ that names no file (``/m/items/…``
after a reload) gets index.html. Each folder is the output of ``npm run build`` in clients/member
or clients/console (``./dev run`` builds them); when one is missing, its path is a 404.
"""

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# The API's own policy forbids everything (servicekit's SecurityHeadersMiddleware); the app needs its
# own scripts, styles (Vant sets inline style attributes) and data: images, and calls /api on the
# same origin.
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)


class SinglePageApp(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise  # a missing asset stays a 404; only app routes fall back
            response = await super().get_response("index.html", scope)
        if response.status_code == 404 and "." not in path.rsplit("/", 1)[-1]:
            response = await super().get_response("index.html", scope)
        response.headers["Content-Security-Policy"] = APP_CSP
        # Hashed asset names never change content; index.html must be re-read to see a new build.
        immutable = path.startswith("assets/")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if immutable else "no-cache"
        return response


def default_member_app_dir() -> Path:
    """clients/member/dist of the checkout this package is installed from (editable install)."""
    return Path(__file__).resolve().parents[4] / "clients" / "member" / "dist"


def default_console_app_dir() -> Path:
    """clients/console/dist of the checkout this package is installed from (editable install)."""
    return Path(__file__).resolve().parents[4] / "clients" / "console" / "dist"


def mount_web_apps(app: FastAPI, member_dir: Path | None, console_dir: Path | None = None) -> None:
    app.mount(
        "/m", SinglePageApp(directory=member_dir or default_member_app_dir(), html=True, check_dir=False), "member"
    )
    app.mount(
        "/console",
        SinglePageApp(directory=console_dir or default_console_app_dir(), html=True, check_dir=False),
        "console",
    )
