"""Use cases: what a retiree, a family member or the system does, joining the domain rules
(certification/) to the adapters (storage/, vision/, wechat/). No Flask here: the web
layer and the jobs call these functions, and errors leave as :class:`FlowError` codes
that the edge turns into plain Chinese."""


class FlowError(Exception):
    """A refusal the user can act on; ``code`` is a machine key, never shown as is."""

    def __init__(self, code: str, **detail) -> None:
        super().__init__(code)
        self.code = str(code)
        self.detail = detail
