"""HTTP for the importers: streamed GETs with a User-Agent, rate limits, plain-sentence errors.

Standard library only (``urllib``). A 429 waits for ``Retry-After`` (else a minute, as
lichess asks) and tries again; a 404 means the account does not exist; anything else
that goes wrong becomes one sentence. ``sleep`` is a parameter so tests never wait.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import IO
from urllib.parse import urlsplit

from chessgru import __version__
from chessgru.errors import UserError

USER_AGENT = f"chessgru/{__version__} (game import for a family's own games; Python urllib)"
DEFAULT_WAIT_S = 60.0  # lichess: after a 429, wait a full minute
MAX_WAITS = 5  # 429s in a row before giving up on a request
TIMEOUT_S = 60.0

Sleep = Callable[[float], None]


class NotFound(UserError):
    """The server has no such account (HTTP 404)."""


class ConnectionCut(UserError):
    """The connection failed while a response was being read."""


def host(url: str) -> str:
    """The host a URL names, for messages ("lichess.org")."""
    return urlsplit(url).netloc or url


def retry_after(value: str | None, default: float = DEFAULT_WAIT_S) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), else ``default``."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def open_url(
    url: str, *, accept: str, sleep: Sleep = time.sleep, what: str = "account"
) -> http.client.HTTPResponse:
    """Open ``url`` for streaming; waits out 429s, raises NotFound or UserError otherwise."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept})
    for _ in range(MAX_WAITS + 1):
        try:
            return urllib.request.urlopen(request, timeout=TIMEOUT_S)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 429:
                sleep(retry_after(exc.headers.get("Retry-After")))
                continue
            if exc.code == 404:
                raise NotFound(f"{host(url)} has no {what} at {urlsplit(url).path}.") from None
            raise UserError(
                f"{host(url)} answered HTTP {exc.code} ({exc.reason}); try again later."
            ) from None
        except urllib.error.URLError as exc:
            reason = getattr(exc.reason, "strerror", None) or exc.reason
            raise UserError(f"Cannot reach {host(url)}: {reason}.") from None
        except (OSError, http.client.HTTPException) as exc:
            raise UserError(f"Cannot reach {host(url)}: {exc}.") from None
    raise UserError(f"{host(url)} kept asking us to slow down (HTTP 429); try again later.")


def lines(response: IO[bytes], url: str) -> Iterator[bytes]:
    """The lines of a streamed response; a cut connection raises ConnectionCut."""
    try:
        yield from response
    except (http.client.HTTPException, OSError) as exc:
        raise ConnectionCut(f"The connection to {host(url)} was cut ({exc}).") from None
    finally:
        response.close()
