"""A transcript's pages after the first, sent as requests sent the first (``Replay``).

Used by the client for the GETs of a long dump (smscli/client.py); the limits, the deadline
and the error mapping are the transport's (``transport.within_limits``).
docs/architecture.md ("Transport") explains where this sits.
"""

from __future__ import annotations

from typing import Any

from smscli.transport import Limits, within_limits


class Page:
    """What the client reads of a response sent by ``Replay.send``: the status, the headers
    (urllib3's, which ignore case as requests' do), the reason and the body (.content)."""

    __slots__ = ("_content", "_content_consumed", "headers", "raw", "reason", "status_code")

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.status_code: int = raw.status
        self.headers = raw.headers
        self.reason: str | None = raw.reason
        self._content = b""
        self._content_consumed = False

    @property
    def content(self) -> bytes:
        return self._content

    def close(self) -> None:
        """As requests.Response.close: a body not read to its end closes the connection."""
        if not self._content_consumed:
            self.raw.close()
        self.raw.release_conn()


class _CookieRequest:
    """The two things requests' cookie code reads of a request: its URL and headers."""

    __slots__ = ("headers", "url")

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers


class Replay:
    """The GETs of a transcript's pages after the first, sent as requests sent the first.

    A long dump is a hundred GETs that differ only in ``startIndex`` and ``count``; requests
    does the same work for each (prepare the URL, merge headers, settings, cookies and
    hooks, choose the pool, check the CA bundle's path), about 0.3 ms of CPU a page
    (bench/page_cost.py). A Replay keeps what requests worked out for the first page (its
    URL, headers, the pool and TLS settings it chose) and does for each next page only what
    can differ: the query, the Cookie header from the session's jar, and Set-Cookie on the
    answer back into the jar. The request then goes to the same pool, with the same
    timeouts, retry settings and no redirects, as requests.adapters.HTTPAdapter.send sends
    it, and errors come out as they come out of requests (a TLS failure as its SSLError).

    ``of`` returns None, and every page goes through requests, whenever anything might make
    a page differ from the first beyond that: a proxy for the URL, hooks, a client
    certificate, or a URL requests spells otherwise than base + "?" + query.
    """

    __slots__ = ("_adapter", "_base", "_headers", "_path", "_pool", "_session")

    def __init__(self, session: Any, adapter: Any, pool: Any, base: str, path: str,
                 headers: dict[str, str]) -> None:
        self._session = session
        self._adapter = adapter
        self._pool = pool
        self._base = base
        self._path = path
        self._headers = headers

    @classmethod
    def of(cls, session: Any, response: Any, url: str, params: dict, verify: Any
           ) -> Replay | None:
        """The Replay of ``response`` (a requests.Response to a GET of ``url`` with
        ``params``, sent with ``verify`` by ``send``), or None."""
        from urllib.parse import urlencode, urlsplit

        from requests.utils import select_proxy

        prepared = getattr(response, "request", None)
        if (prepared is None or prepared.method != "GET" or prepared.body is not None
                or any(session.hooks.values()) or session.cert is not None):
            return None
        if prepared.url != f"{url}?{urlencode(params)}" or "?" in url or "#" in url:
            return None
        settings = session.merge_environment_settings(prepared.url, {}, True, verify, None)
        if settings["cert"] is not None or select_proxy(prepared.url, settings["proxies"]):
            return None
        adapter = session.get_adapter(prepared.url)
        pool = adapter.get_connection_with_tls_context(prepared, settings["verify"],
                                                       proxies=settings["proxies"])
        adapter.cert_verify(pool, prepared.url, settings["verify"], None)
        headers = {k: v for k, v in prepared.headers.items() if k.lower() != "cookie"}
        path = urlsplit(url).path or "/"
        return cls(session, adapter, pool, url, path, headers)

    def send(self, params: dict, limits: Limits, *, where: str,
             timeout: tuple[float, float]) -> Page:
        """The GET with these params, within the limits, as ``send`` would have sent it."""
        from urllib.parse import urlencode

        query = urlencode(params)

        def request() -> Page:
            return self._open(f"{self._base}?{query}", f"{self._path}?{query}", timeout)

        return within_limits(request, limits, where)

    def _open(self, url: str, target: str, timeout: tuple[float, float]) -> Page:
        import requests
        from requests.cookies import extract_cookies_to_jar, get_cookie_header
        from urllib3.exceptions import MaxRetryError
        from urllib3.exceptions import SSLError as Urllib3SSLError
        from urllib3.util import Timeout

        headers = dict(self._headers)
        jar = self._session.cookies
        cookie = get_cookie_header(jar, _CookieRequest(url, headers))  # type: ignore[arg-type]
        if cookie:
            headers["Cookie"] = cookie
        try:
            raw = self._pool.urlopen(
                method="GET", url=target, body=None, headers=headers, redirect=False,
                assert_same_host=False, preload_content=False, decode_content=False,
                retries=self._adapter.max_retries,
                timeout=Timeout(connect=timeout[0], read=timeout[1]), chunked=False)
        except MaxRetryError as exc:  # as HTTPAdapter.send tells a TLS failure
            if isinstance(exc.reason, Urllib3SSLError):
                raise requests.exceptions.SSLError(exc) from exc
            raise
        except Urllib3SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        extract_cookies_to_jar(jar, _CookieRequest(url, headers), raw)  # type: ignore[arg-type]
        return Page(raw)
