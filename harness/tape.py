"""One run's bookkeeping around its HTTP exchanges, in one object that each party is handed.

Who does what with it:

- the client (`harness.client`) tells it of every answer (`heard`), and lists in `unsettled` each
  create it sent that got no clear answer, with the callback that undoes what it may have made;
- a step being run (`harness.steps.execute`) watches the answers while it runs (`watching`);
- preflight, a create's recovery and the cleanup send requests `off_the_record`, which the
  recorder's vcrpy hook (`harness.recorder`) leaves out of the cassettes (`on_record`);
- the cleanup (`harness.ledger.cleanup`) calls and strikes the `unsettled` callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

Recover = Callable[[], None]
Observer = Callable[[requests.Response], None]


@dataclass
class Tape:
    """Whether requests are on the record, who watches the answers, and the unsettled creates."""

    on_record: bool = True
    unsettled: dict[str, Recover] = field(default_factory=dict)
    observer: Observer | None = None

    def heard(self, response: requests.Response) -> None:
        """An answer arrived (every attempt's, retries included): the watching step sees it."""
        if self.observer is not None:
            self.observer(response)

    @contextmanager
    def watching(self, observer: Observer) -> Iterator[None]:
        """Inside, `observer` sees every answer."""
        previous, self.observer = self.observer, observer
        try:
            yield
        finally:
            self.observer = previous

    @contextmanager
    def off_the_record(self) -> Iterator[None]:
        """Requests made inside are sent but never written to a cassette (recovery, cleanup)."""
        previous, self.on_record = self.on_record, False
        try:
            yield
        finally:
            self.on_record = previous
