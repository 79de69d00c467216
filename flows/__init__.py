"""Use cases: what a retiree, a family member or the system does, joining the domain rules
(certification/) to the adapters (storage/, vision/, wechat/). No Flask here: the web
layer and the jobs call these functions, and errors leave as :class:`FlowError` codes
that the edge turns into plain Chinese."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_Row = TypeVar("_Row")


class FlowError(Exception):
    """A refusal the user can act on; ``code`` is a machine key, never shown as is."""

    def __init__(self, code: str, **detail) -> None:
        super().__init__(code)
        self.code = str(code)
        self.detail = detail


def get_row(session: "Session", model: "type[_Row]", key: object, code: str = "record_gone", **kwargs: Any) -> "_Row":
    """The row of ``model`` with primary key ``key``, or ``FlowError(code)``.

    Use it where the row must exist (a job's attempt, a page's own record): a row that
    vanished under the request becomes a refusal the user can act on, never an
    AttributeError on None answered with 500. ``kwargs`` go to ``Session.get``
    (e.g. ``with_for_update=True``)."""
    row = session.get(model, key, **kwargs)
    if row is None:
        raise FlowError(code)
    return row
