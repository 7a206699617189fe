"""One way to write a row loader: a dependency that loads a row named in the URL through its
service's `get_…`, checked against who asks (the lead's cookie, an API reader or writer) or
against the row it belongs to. Each entity's loaders are then one line per kind of caller."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from app.deps.common import RowId, SessionDep

T = TypeVar("T")


def row_loader(
    get: Callable[..., T], *, key: str, owner: str = "facilitator", owner_dep: Any
) -> Callable[..., T]:
    """A dependency taking the path parameter `key` (an int) and `owner_dep` (a dependency
    type, e.g. `FacilitatorDep` or a parent row's loader), returning
    `get(session=…, <owner>=…, <key>=…)`. Its signature is what FastAPI reads, so the path
    parameter is documented exactly as a hand-written `def load(network_id: RowId, …)`'s
    (an int from 1 to `ID_MAX`)."""

    def load(**values: Any) -> T:
        return get(session=values["session"], **{owner: values[owner], key: values[key]})

    keyword = inspect.Parameter.KEYWORD_ONLY
    load.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(key, keyword, annotation=RowId),
            inspect.Parameter("session", keyword, annotation=SessionDep),
            inspect.Parameter(owner, keyword, annotation=owner_dep),
        ]
    )
    load.__name__ = f"load_{key.removesuffix('_id')}"
    return load
