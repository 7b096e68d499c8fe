"""pytest fixtures for greenpin-emulator (registered as the ``greenpin_emulator`` plugin
through the ``pytest11`` entry point, or with ``-p greenpin_emulator.pytest_plugin``).

- ``greenpin_emulator``: the emulator for one test, reset first, so every test starts
  from a fresh emulator (no allocations, settings, journal, callbacks or faults, and the
  clock back where it started: real time, or the session's ``clock``) while one process
  serves the whole session.
- ``greenpin_emulator_session``: that one process, started on first use and stopped at
  the end of the session, without resets (share state between tests at your own risk).
- ``greenpin_emulator_options``: the keyword arguments the session's
  :class:`~greenpin_emulator.Emulator` is started with; override it in ``conftest.py``::

      @pytest.fixture(scope="session")
      def greenpin_emulator_options():
          return {"seed": 7, "account_sid": "acme"}
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from . import Emulator


@pytest.fixture(scope="session")
def greenpin_emulator_options() -> Dict[str, Any]:
    """Keyword arguments for the session's Emulator (none: the defaults)."""
    return {}


@pytest.fixture(scope="session")
def greenpin_emulator_session(greenpin_emulator_options: Dict[str, Any]) -> Iterator[Emulator]:
    """One emulator process for the whole session."""
    with Emulator(**greenpin_emulator_options) as emulator:
        yield emulator


@pytest.fixture
def greenpin_emulator(greenpin_emulator_session: Emulator) -> Emulator:
    """The session's emulator, reset to a fresh state for this test."""
    greenpin_emulator_session.reset()
    return greenpin_emulator_session
