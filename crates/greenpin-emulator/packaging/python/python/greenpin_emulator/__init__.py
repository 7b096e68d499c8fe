"""Run greenpin-emulator, a local server emulating Exotel's GreenPin API, from Python tests.

    from greenpin_emulator import Emulator

    with Emulator(seed=7) as emu:
        created = emu.api("POST", "/greenpin", {...})   # the API, with Basic credentials
        emu.call("7000000001", "6292134471", pin=created["data"]["a"]["pin"])
        emu.advance(3601)                                  # move the emulator's clock

The wheel puts the ``greenpin-emulator`` binary on PATH; :class:`Emulator` starts it on a
free loopback port, reads the address it prints, and stops it on :meth:`Emulator.close`.
Only the standard library is used.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

__all__ = ["Emulator", "EmulatorError", "EmulatorStartError", "find_binary"]

#: The environment variable naming the binary to run (wins over PATH).
BIN_ENV = "GREENPIN_EMULATOR_BIN"
#: Seconds to wait for the binary's first line, ``listening on http://HOST:PORT``.
START_TIMEOUT = 15.0
#: Seconds an ordinary control or API request may take.
REQUEST_TIMEOUT = 10.0
#: The longest single wait the emulator accepts (``wait_ms`` at most 30 000).
_MAX_WAIT_MS = 30_000
_LISTENING = "listening on "
# reset()'s default: the clock goes back to where it started.
_AS_STARTED: Any = object()
# Credentials are passed to the child explicitly, so that real Exotel credentials in the
# caller's environment (the binary also reads these variables) never leak into it.
_CREDENTIAL_ENV = ("EXOTEL_ACCOUNT_SID", "EXOTEL_API_KEY", "EXOTEL_API_TOKEN")


class EmulatorError(Exception):
    """A control or API request the emulator refused: its envelope said ``success: false``.

    ``status`` is the HTTP status, ``code`` GreenPin's error code (or None), ``message``
    the emulator's explanation, ``envelope`` the whole answer.
    """

    def __init__(self, status: int, code: Optional[int], message: Optional[str], envelope: Any = None):
        super().__init__(f"greenpin-emulator answered {status} (code {code}): {message}")
        self.status = status
        self.code = code
        self.message = message
        self.envelope = envelope


class EmulatorStartError(RuntimeError):
    """The emulator binary could not be found, or did not start."""


def find_binary() -> str:
    """The emulator binary to run: ``$GREENPIN_EMULATOR_BIN``, else ``greenpin-emulator`` on
    PATH, else the one in this interpreter's scripts directory (where the wheel puts it,
    even when the virtualenv is not activated)."""
    explicit = os.environ.get(BIN_ENV)
    if explicit:
        if not os.path.isfile(explicit):
            raise EmulatorStartError(f"{BIN_ENV}={explicit!r} is not a file")
        return explicit
    on_path = shutil.which("greenpin-emulator")
    if on_path:
        return on_path
    scripts = sysconfig.get_path("scripts")
    name = "greenpin-emulator.exe" if os.name == "nt" else "greenpin-emulator"
    candidate = os.path.join(scripts, name) if scripts else None
    if candidate and os.path.isfile(candidate):
        return candidate
    raise EmulatorStartError(
        "cannot find the greenpin-emulator binary: set "
        f"{BIN_ENV}, put it on PATH, or install the greenpin-emulator wheel "
        f"(looked on PATH and in {scripts!r})"
    )


def _clock_text(clock: Union[str, _dt.datetime]) -> str:
    """An RFC 3339 instant for ``--clock``."""
    if isinstance(clock, _dt.datetime):
        if clock.tzinfo is None or clock.utcoffset() is None:
            raise ValueError("clock: give a timezone-aware datetime (RFC 3339 needs an offset)")
        return clock.isoformat()
    if isinstance(clock, str):
        return clock
    raise TypeError(f"clock: expected an RFC 3339 string or a datetime, not {type(clock).__name__}")


# Requests go straight to the loopback emulator, never through an HTTP(S)_PROXY.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _stop(proc: "subprocess.Popen[bytes]") -> None:
    """Stops the child: SIGTERM (it shuts down cleanly), then SIGKILL after 5 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Emulator:
    """A greenpin-emulator process on a free loopback port.

    Use it as a context manager, or call :meth:`start` and :meth:`close` yourself::

        emu = Emulator(seed=1).start()
        try:
            ...
        finally:
            emu.close()

    Keyword arguments: ``seed`` (generated ids and PINs repeat from run to run), ``clock``
    (the clock's start, an RFC 3339 string or an aware datetime; passed as ``--clock``),
    ``account_sid``, ``api_key``, ``api_token`` (the credentials the emulator accepts and
    :meth:`api` sends), ``extra_args`` (more command-line arguments), ``binary`` (a path,
    instead of :func:`find_binary`).
    """

    def __init__(
        self,
        *,
        seed: Optional[int] = None,
        clock: Union[str, _dt.datetime, None] = None,
        account_sid: str = "demo",
        api_key: str = "demo-key",
        api_token: str = "demo-token",
        extra_args: Sequence[str] = (),
        binary: Optional[str] = None,
    ):
        self.account_sid = account_sid
        self.api_key = api_key
        self.api_token = api_token
        self._seed = seed
        self._clock = None if clock is None else _clock_text(clock)
        self._extra_args = [str(a) for a in extra_args]
        self._binary = binary
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._stderr: List[str] = []
        self._base_url: Optional[str] = None

    # ----- lifecycle ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, once started."""
        if self._base_url is None:
            raise RuntimeError("the emulator is not started: use `with Emulator() as emu` or emu.start()")
        return self._base_url

    @property
    def api_url(self) -> str:
        """Where the account's GreenPin API is served: ``{base_url}/v1/tenants/{account_sid}``."""
        return f"{self.base_url}/v1/tenants/{self.account_sid}"

    def start(self) -> "Emulator":
        """Starts the binary and waits (15 s at most) until it says where it listens."""
        if self._proc is not None:
            raise RuntimeError("the emulator is already started")
        binary = self._binary or find_binary()
        args = [binary, "--listen", "127.0.0.1:0", "--account-sid", self.account_sid, "--api-key", self.api_key]
        if self._seed is not None:
            args += ["--seed", str(self._seed)]
        if self._clock is not None:
            args += ["--clock", self._clock]
        args += self._extra_args
        env = {k: v for k, v in os.environ.items() if k not in _CREDENTIAL_ENV}
        # The token goes through the environment, so that it does not show in `ps`.
        env["EXOTEL_API_TOKEN"] = self.api_token
        try:
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
            )
        except OSError as e:
            raise EmulatorStartError(f"cannot run {binary!r}: {e}") from e
        self._proc = proc
        # Kill the child if this object is forgotten or the interpreter exits unclosed.
        self._finalizer = weakref.finalize(self, _stop, proc)

        # Two reader threads: one drains stderr (kept for error messages), one reads stdout
        # and signals the first `listening on` line; both drain their pipe until it closes,
        # so the child never blocks on a full pipe. Neither holds `self`, so a forgotten
        # Emulator can still be collected (and its finalizer stop the child).
        found: Dict[str, str] = {}
        ready = threading.Event()
        stderr_lines = self._stderr

        def read_stdout() -> None:
            assert proc.stdout is not None
            with proc.stdout:
                for raw in proc.stdout:
                    line = raw.decode("utf-8", "replace").strip()
                    if not ready.is_set() and line.startswith(_LISTENING):
                        found["url"] = line[len(_LISTENING):].strip().rstrip("/")
                        ready.set()
            ready.set()  # EOF: the process ended (or closed stdout), with or without the line

        def read_stderr() -> None:
            assert proc.stderr is not None
            with proc.stderr:
                for raw in proc.stderr:
                    stderr_lines.append(raw.decode("utf-8", "replace"))
                    del stderr_lines[:-200]  # keep the last lines only

        threads = [threading.Thread(target=t, name=f"greenpin-emulator-{t.__name__}", daemon=True)
                   for t in (read_stdout, read_stderr)]
        for t in threads:
            t.start()

        if not ready.wait(START_TIMEOUT) or "url" not in found:
            timed_out = not ready.is_set()
            self._finalizer()  # stops it
            self._proc = None
            threads[1].join(timeout=2)  # the last of stderr
            why = (f"did not say where it listens within {START_TIMEOUT:.0f} s" if timed_out
                   else f"exited with status {proc.returncode} before saying where it listens")
            raise EmulatorStartError(
                f"greenpin-emulator ({' '.join(args)}) {why}; its stderr:\n{self.stderr or '(empty)'}"
            )
        self._base_url = found["url"]
        return self

    def close(self) -> None:
        """Stops the emulator (SIGTERM, then SIGKILL after 5 s). Safe to call twice."""
        if self._proc is not None:
            self._finalizer()
            self._proc = None
        self._base_url = None

    def __enter__(self) -> "Emulator":
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self._base_url or "not started"
        return f"<Emulator {where} account={self.account_sid!r}>"

    @property
    def stderr(self) -> str:
        """What the binary wrote to stderr so far (its last 200 lines)."""
        return "".join(self._stderr)

    # ----- HTTP ----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Dict[str, Any]:
        """Sends one request and returns its envelope, whatever its status. A body that is
        not JSON (a fault can answer one) comes back as a failed envelope quoting it."""
        data = None
        hdrs = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method.upper(), headers=hdrs)
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:  # 4xx/5xx: the envelope is in the body
            status, raw = e.code, e.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or "success" not in parsed:
            text = raw[:500].decode("utf-8", "replace")
            return {"success": False, "status": status, "code": None,
                    "message": f"not an envelope: {text!r}", "data": None}
        return parsed

    def _control(self, method: str, path: str, body: Any = None, query: Optional[Mapping[str, Any]] = None,
                 timeout: float = REQUEST_TIMEOUT) -> Any:
        """A `/__emulator` control: its ``data``, or :class:`EmulatorError`."""
        url = f"{self.base_url}/__emulator{path}"
        query = {k: v for k, v in (query or {}).items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query)
        env = self._send(method, url, body, timeout=timeout)
        if not env.get("success"):
            raise EmulatorError(env.get("status", 0), env.get("code"), env.get("message"), env)
        return env.get("data")

    # ----- controls ------------------------------------------------------------------

    def clock(self) -> Dict[str, Any]:
        """The emulator's clock: ``{"now": "YYYY-MM-DD HH:MM:SS", "now_ms": ...}`` (``now`` in
        the account's timezone)."""
        return self._control("GET", "/clock")

    def advance(self, seconds: float) -> Dict[str, Any]:
        """Moves the clock forward; expiries, vault periods and purges happen as it passes
        them. Answers the clock after the move."""
        if isinstance(seconds, int):
            return self._control("POST", "/clock/advance", {"seconds": seconds})
        return self._control("POST", "/clock/advance", {"ms": round(seconds * 1000)})

    def call(
        self,
        from_number: str,
        vn: str,
        pin: Optional[str] = None,
        answer: Optional[str] = None,
        talk_secs: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Places a simulated call from ``from_number`` to the virtual number ``vn``
        (``answer``: answered, busy, no_answer, failed, caller_hung_up). Answers the call's
        outcome: ``connected``, ``call_sid``, ``call_type``, ``greenpin_id``, ``party``, ``to``."""
        body = {"from": from_number, "vn": vn, "pin": pin, "answer": answer, "talk_secs": talk_secs}
        return self._control("POST", "/calls", {k: v for k, v in body.items() if v is not None})

    def callbacks(self, *, call_sid: Optional[str] = None, kind: Optional[str] = None,
                  greenpin_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """The callbacks fired so far (oldest first), with every delivery attempt; the
        filters are optional (``kind``: call_completed or deallocation)."""
        return self._control("GET", "/callbacks", query={"call_sid": call_sid, "kind": kind,
                                                         "greenpin_id": greenpin_id})

    def wait_for_callback(
        self,
        call_sid: Optional[str] = None,
        kind: Optional[str] = None,
        timeout: float = 5.0,
        *,
        greenpin_id: Optional[str] = None,
    ) -> Optional[Dict[str, Any]]:
        """Waits until a matching callback is settled (delivered, failed, not sent or
        dropped) and answers it, or None after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left_ms = max(0, int((deadline - time.monotonic()) * 1000))
            wait_ms = min(left_ms, _MAX_WAIT_MS)  # the emulator waits 30 s at most per request
            records = self._control(
                "GET", "/callbacks",
                query={"wait_ms": wait_ms, "call_sid": call_sid, "kind": kind, "greenpin_id": greenpin_id},
                timeout=wait_ms / 1000 + REQUEST_TIMEOUT,
            )
            # The answer lists every match, pending ones too: take the first settled one.
            for record in records or []:
                if record.get("status") != "pending":
                    return record
            if left_ms <= wait_ms:
                return None

    def requests(self) -> List[Dict[str, Any]]:
        """The API requests received, oldest first: method, path, query, headers (credentials
        redacted), body, and the fault that answered it, if one did. Not the answers."""
        return self._control("GET", "/requests")

    def stats(self) -> Dict[str, Any]:
        """Counts of what the API answered, per operation, and of what is held."""
        return self._control("GET", "/stats")

    def state(self, **query: Any) -> Dict[str, Any]:
        """What the dashboard shows (optional ``q``, ``state``, ``offset``, ``limit``)."""
        return self._control("GET", "/state", query=query)

    def fault(
        self,
        kind: str,
        times: int = 1,
        method: Optional[str] = None,
        path: Optional[str] = None,
        **fields: Any,
    ) -> List[Dict[str, Any]]:
        """Makes the next ``times`` API requests fail: ``fault("status", status=503)``,
        ``fault("delay", ms=2000)``, ``fault("close")``, ``fault("truncate")``. ``method``
        and ``path`` (a glob: ``"/v1/tenants/*/greenpin/*"``) limit it to the requests that
        match; by default it hits any. The fault's own fields (``status``, ``retry_after``,
        ``body``, ``content_type``, ``ms``) follow. Answers the queued faults."""
        rule: Dict[str, Any] = {"fault": {"kind": kind, **fields}, "times": times}
        if method is not None:
            rule["method"] = method
        if path is not None:
            rule["path"] = path
        return self._control("POST", "/faults", rule)

    def clear_faults(self) -> None:
        """Drops every queued API fault."""
        self._control("DELETE", "/faults")

    def reset(self, clock: Any = _AS_STARTED) -> Dict[str, Any]:
        """Forgets everything (allocations, vault, settings, journal, callbacks, faults,
        counts, the clock), as if freshly started, without restarting the process. The
        clock goes back to where it started, unless ``clock`` says where (an RFC 3339
        string or aware datetime; None for real time). Answers the clock."""
        body = {} if clock is _AS_STARTED else {"clock": None if clock is None else _clock_text(clock)}
        return self._control("POST", "/reset", body)

    # ----- the API itself -------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Dict[str, Any]:
        """Sends a request to the GreenPin API under :attr:`api_url` (``path`` such as
        ``"/greenpin"`` or ``"/settings"``) with the emulator's Basic credentials, and
        answers its envelope as a dict, success or not (``envelope["status"]`` is the HTTP
        status). Nothing is raised for an error answer; a connection closed by a ``close``
        fault raises the underlying ``urllib`` / ``http.client`` error."""
        token = base64.b64encode(f"{self.api_key}:{self.api_token}".encode()).decode("ascii")
        path = path if path.startswith("/") else "/" + path
        return self._send(method, self.api_url + path, body, headers={"Authorization": f"Basic {token}"})
