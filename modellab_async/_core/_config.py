"""Check what reaches the wire from the caller: keys, origins, proxies; hide secrets."""

from __future__ import annotations

import ipaddress
import re

from yarl import URL

from ..errors import ConfigurationError

__all__ = ["Secret", "SecretHeaders", "check_key", "parse_base_url", "proxy_url"]

#: Anything but printable ASCII without the space, which no key contains.
_NOT_IN_A_KEY = re.compile(r"[^!-~]")


class Secret:
    """A key that never shows itself in `repr`, `str` or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the key itself, for the one place that sends it: a request header."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SecretHeaders(dict[str, str]):
    """Request headers that carry credentials: a dict whose `repr` hides every value.

    Tracebacks rendered with their local variables (Sentry, `pytest --showlocals`)
    show a frame's headers through `repr`, so the keys must not be in it.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{name!r}: '***'" for name in self) + "}"


def parse_base_url(
    base_url: str | URL, *, allow_insecure_http: bool, name: str = "base_url"
) -> URL:
    """Validate an origin given as `base_url`; a path in it is kept as a prefix.

    No message quotes the URL: only its host, which holds no secret, is named.
    """
    try:
        url = URL(base_url)
    except ValueError as error:  # yarl's messages name the faulty part, never the whole URL
        raise ConfigurationError(f"{name} is not a valid URL: {error}") from None
    if url.raw_user is not None or url.raw_password is not None:
        raise ConfigurationError(
            f"{name} must not contain a user name or password (the part before '@'): "
            "the client sends its keys in headers, and a URL is shown in reprs and logs"
        )
    if url.scheme not in ("http", "https") or not url.host:
        found = (
            "has no host"
            if not url.host
            else "has no scheme"
            if not url.scheme
            else f"has the scheme {url.scheme!r}"
        )
        raise ConfigurationError(
            f"{name} must be an absolute http(s) URL such as https://api.datadoghq.com; "
            f"this one {found}"
        )
    if url.query_string or url.fragment:
        raise ConfigurationError(f"{name} must not carry a query or a fragment")
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise ConfigurationError(
            f"refusing to send keys over plain http to {url.host}; use https, "
            "or pass allow_insecure_http=True if this network is trusted"
        )
    return url.with_path(url.path.rstrip("/"))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_key(value: str, what: str) -> str:
    """Return `value` if it can travel in a header as a key, else raise `ConfigurationError`.

    A key is printable ASCII without spaces: a control character (a newline pasted
    with it) would fail in the HTTP library with the key in its frames, a non-ASCII
    character cannot be sent, and surrounding whitespace is never part of a key.
    The message names `what` (such as "the API key (DD_API_KEY)") and the offending
    character's position, never the key.
    """
    found = _NOT_IN_A_KEY.search(value)
    if found is None:
        return value
    character = found.group()
    kind = (
        "a space"
        if character == " "
        else f"a control character (U+{ord(character):04X})"
        if character.isascii()
        else "a non-ASCII character"
    )
    raise ConfigurationError(
        f"{what} contains {kind} at position {found.start() + 1} of {len(value)}; "
        "keys are printable ASCII without spaces (check for a stray newline or space)"
    )


def proxy_url(proxy: str | URL, *, source: str = "proxy") -> URL:
    """Return `proxy` as a URL: `http://` or `https://` with a host (`host:port` means http).

    Raises:
        ConfigurationError: `proxy` is not such a URL; the message names `source`,
            never the value, which may hold a password.
    """
    text = str(proxy)
    try:
        url = URL(text if "://" in text else f"http://{text}")
    except ValueError as error:  # yarl's messages name the faulty part, never the whole URL
        raise ConfigurationError(f"{source} is not a valid URL: {error}") from None
    if url.scheme not in {"http", "https"} or not url.host:
        raise ConfigurationError(
            f"{source} must be an http:// or https:// URL with a host, "
            "such as http://proxy.example:3128"
        )
    return url
