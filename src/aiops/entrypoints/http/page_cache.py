"""A small LRU of rendered pages, keyed by who looks and by the data version.

The data version (the newest audit event's id) changes in the same transaction as any state
change, and the workspace snapshots' version with every snapshot, so a cached page is never
stale. Keys include the viewer's roles and CSRF token:
one person's page is never served to another.

A page is kept gzip-compressed too (once, when it is cached): the dashboard of a thousand
projects is ~750 kB of HTML and ~35 kB compressed, so browsers that accept gzip get it at a
twentieth of the bytes without the server compressing it again on every request.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Hashable

import attrs
from starlette.responses import HTMLResponse, Response

from aiops.domain.model.access import Actor


@attrs.frozen
class Page:
    body: bytes
    project_ids: tuple[int, ...] = ()  # the workspaces the page shows (dashboard)
    gzipped: bytes = attrs.field(
        default=attrs.Factory(lambda page: gzip.compress(page.body, 6, mtime=0), takes_self=True)
    )

    def response(self, accept_encoding: str) -> Response:
        """The page as HTML, compressed when the client accepts gzip."""
        headers = {"Vary": "Accept-Encoding"}
        if "gzip" in accept_encoding:  # as Starlette's GZipMiddleware decides
            return HTMLResponse(self.gzipped, headers=headers | {"Content-Encoding": "gzip"})
        return HTMLResponse(self.body, headers=headers)


class PageCache:
    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    @staticmethod
    def key(page: str, actor: Actor, csrf: str, version: Hashable) -> Hashable:
        roles = tuple(sorted((tenant, role.value) for tenant, role in actor.roles.items()))
        return (page, actor.user_id, actor.is_admin, roles, csrf, version)

    def get(self, key: Hashable) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                self.hits += 1
            return page

    def put(self, key: Hashable, page: Page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)
