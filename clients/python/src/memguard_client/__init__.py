"""A small synchronous client for ``memguard serve`` (design §8), standard library only.

Example (a server running on this machine, its key in ``MEMGUARD_KEY``)::

    from memguard_client import MemGuardClient, OverloadedError

    client = MemGuardClient("http://127.0.0.1:8642", token=None, timeout=10.0)
    result = client.protect([[0.7, 0.2, 0.1]], ids=["query-1"])
    result.released      # [[...3 floats...]]: what to return to the caller instead of the scores
    result.noisy         # [0] or [1]: keep it on the server side, it tells which rows carry noise

When numpy is installed, a 2-D numpy array is accepted and ``released`` comes back as a float32
array holding exactly the float32 values the engine computed.

Every failure the server reports is raised as a subclass of :class:`MemGuardError` named after
its kind (HTTP status and the server's error code in ``status``/``code``, the offending row in
``row`` when the server names one). A 503 (queue full, or the server starting or draining) is
retried after the server's ``Retry-After``, within ``max_retries`` and ``max_retry_wait``.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import numbers
import socket
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Type, Union

__all__ = [
    "MemGuardClient",
    "ProtectResult",
    "MemGuardError",
    "TransportError",
    "MemGuardTimeoutError",
    "MalformedRequestError",
    "AuthenticationError",
    "EndpointError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "NotConfidenceVectorsError",
    "ServiceUnavailableError",
    "OverloadedError",
    "NotReadyError",
    "ServerError",
]

__version__ = "0.1.0"

DEFAULT_URL = "http://127.0.0.1:8642"
PROTECT_PATH = "/v1/protect"

Rows = Union[Sequence[Sequence[float]], Any]  # Any: a 2-D numpy array


class MemGuardError(Exception):
    """Any failure of a call: ``status`` (HTTP, None when no answer came), the server's ``code``,
    its ``message``, the ``row`` it names (if any) and its ``retry_after`` in seconds (if sent)."""

    def __init__(self, message: str, *, status: Optional[int] = None, code: str = "unknown",
                 row: Optional[int] = None, retry_after: Optional[float] = None) -> None:
        super().__init__(f"{status} {code}: {message}" if status is not None else message)
        self.status = status
        self.code = code
        self.message = message
        self.row = row
        self.retry_after = retry_after


class TransportError(MemGuardError):
    """No HTTP answer: the connection was refused, reset, or the server closed it."""


class MemGuardTimeoutError(TransportError):
    """No answer within the client's ``timeout``."""


class MalformedRequestError(MemGuardError):
    """400: the body is not valid JSON or not the expected shape (``bad_json``, ``bad_request``)."""


class AuthenticationError(MemGuardError):
    """401 or 403: the bearer token is missing or wrong."""


class EndpointError(MemGuardError):
    """404 or 405: no such route or method (a wrong URL, or a server of another version)."""


class PayloadTooLargeError(MemGuardError):
    """413: the body is over the server's size limit, or it has more rows than its queue holds."""


class UnsupportedMediaTypeError(MemGuardError):
    """415: the request did not say ``content-type: application/json``."""


class NotConfidenceVectorsError(MemGuardError):
    """422: a row is not a confidence vector (wrong length, negative, not summing to 1, ...);
    ``row`` is its index in the request."""


class ServiceUnavailableError(MemGuardError):
    """503, still there after the retries allowed."""


class OverloadedError(ServiceUnavailableError):
    """503 ``overloaded``: the server's queue is full."""


class NotReadyError(ServiceUnavailableError):
    """503 ``not_ready``: the server is starting (loading the engine) or shutting down."""


class ServerError(MemGuardError):
    """Any other 5xx (an internal error, or a proxy in front reporting 502/504)."""


_BY_STATUS: Dict[int, Type[MemGuardError]] = {
    400: MalformedRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: EndpointError,
    405: EndpointError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: NotConfidenceVectorsError,
}


@dataclass(frozen=True)
class ProtectResult:
    """The server's answer, rows in request order.

    ``released``: the vectors to return to callers (lists of floats, or a float32 numpy array when
    the request was a numpy array). ``noisy``: 1 where the row carries MemGuard's noise; it tells an
    attacker which rows are perturbed, so it must never reach an end client.
    """

    released: Any
    noisy: Any


class MemGuardClient:
    """A synchronous client for one ``memguard serve`` (or a load balancer in front of several).

    Each call opens its own connection, so one client may be shared by threads.

    :param url: the server's base URL (default ``http://127.0.0.1:8642``).
    :param token: the bearer token, when the server was started with ``--token-file``.
    :param timeout: seconds to wait for a connection and for each read.
    :param max_retries: how many times a 503 is retried (0 = never).
    :param max_retry_wait: the most seconds spent sleeping on retries within one call; a
        ``Retry-After`` that would go past it is not waited for (the 503 is raised at once).
    """

    def __init__(self, url: str = DEFAULT_URL, *, token: Optional[str] = None, timeout: float = 30.0,
                 max_retries: int = 3, max_retry_wait: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"url must be http://host[:port][/prefix] or https://..., got {url!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        if max_retries < 0 or max_retry_wait < 0:
            raise ValueError("max_retries and max_retry_wait must be >= 0")
        if token is not None and (token == "" or any(c.isspace() for c in token)):
            raise ValueError("token must be one non-empty word (no whitespace)")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep

    def protect(self, scores: Rows, ids: Optional[Sequence[str]] = None) -> ProtectResult:
        """Protects confidence vectors (each row k probabilities summing to 1)."""
        return self._protect("scores", scores, ids)

    def protect_logits(self, logits: Rows, ids: Optional[Sequence[str]] = None) -> ProtectResult:
        """Protects the target model's logits (a server started with ``--logits``)."""
        return self._protect("logits", logits, ids)

    def ready(self) -> bool:
        """True when the server takes requests (``/v2/health/ready``, or ``/healthz`` on servers
        without it); False while it starts or drains. Raises :class:`TransportError` when nothing
        answers."""
        status = self._status("/v2/health/ready")
        if status == 404:
            status = self._status("/healthz")
        return status == 200

    def live(self) -> bool:
        """True when the process answers at all (``/v2/health/live``; ``/healthz`` answering
        anything on servers without it)."""
        status = self._status("/v2/health/live")
        if status == 404:
            return self._status("/healthz") in (200, 503)
        return status == 200

    # -- internals ---------------------------------------------------------------------------

    def _protect(self, field: str, rows: Rows, ids: Optional[Sequence[str]]) -> ProtectResult:
        as_numpy = _is_ndarray(rows)
        body: Dict[str, Any] = {field: _rows_as_lists(rows)}
        if ids is not None:
            if isinstance(ids, str):
                raise TypeError("ids must be a sequence of strings, one per row, not one string")
            body["ids"] = [str(i) for i in ids]
        try:
            payload = json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
        except ValueError:
            raise ValueError("a row holds NaN or infinity, which JSON cannot carry (and no confidence vector has)") from None
        answer = self._call("POST", PROTECT_PATH, payload)
        released, noisy = answer["released"], answer["noisy"]
        if as_numpy:
            import numpy  # present: the request was a numpy array

            # The server writes the shortest text of each float32: parsing it as a double and
            # rounding to float32 gives back exactly the engine's value.
            return ProtectResult(numpy.asarray(released, dtype=numpy.float32), numpy.asarray(noisy, dtype=numpy.uint8))
        return ProtectResult(released, noisy)

    def _headers(self, has_body: bool) -> Dict[str, str]:
        headers = {"accept": "application/json", "user-agent": f"memguard-client-python/{__version__}"}
        if has_body:
            headers["content-type"] = "application/json"
        if self._token is not None:
            headers["authorization"] = f"Bearer {self._token}"
        return headers

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self.timeout)

    def _exchange(self, method: str, path: str, body: Optional[bytes]) -> "tuple[int, Mapping[str, str], bytes]":
        """One request on a fresh connection: (status, headers, body)."""
        conn = self._connection()
        try:
            try:
                conn.request(method, self._prefix + path, body=body, headers=self._headers(body is not None))
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer (e.g. 413) and stop reading before the whole body is sent:
                # its answer is then already waiting, so read it rather than report a broken pipe.
                pass
            response = conn.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        except socket.timeout as e:
            raise MemGuardTimeoutError(f"no answer from {self._host}:{self._port} within {self.timeout} s") from e
        except (OSError, http.client.HTTPException) as e:
            raise TransportError(f"no HTTP answer from {self._scheme}://{self._host}:{self._port}{self._prefix}{path}: {e!r}") from e
        finally:
            conn.close()

    def _status(self, path: str) -> int:
        status, _, _ = self._exchange("GET", path, None)
        return status

    def _call(self, method: str, path: str, body: Optional[bytes]) -> Any:
        waited = 0.0
        attempt = 0
        while True:
            status, headers, data = self._exchange(method, path, body)
            if 200 <= status < 300:
                try:
                    return json.loads(data)
                except ValueError as e:
                    raise ServerError(f"the answer is not JSON: {data[:200]!r}", status=status, code="bad_answer") from e
            error = _error_from(status, headers, data)
            if not isinstance(error, ServiceUnavailableError) or attempt >= self.max_retries:
                raise error
            # Retry-After when the server sent one, otherwise an exponential backoff from 0.1 s.
            delay = error.retry_after if error.retry_after is not None else 0.1 * 2 ** attempt
            if waited + delay > self.max_retry_wait:
                raise error
            self._sleep(delay)
            waited += delay
            attempt += 1


def _error_from(status: int, headers: Mapping[str, str], data: bytes) -> MemGuardError:
    """The exception for an error answer, from its status and its JSON body."""
    code, message, row = "unknown", f"HTTP {status}", None
    try:
        err = json.loads(data)["error"]
        if isinstance(err, dict):  # design §8: {"error": {"code", "message", "row"?}}
            code = str(err.get("code", code))
            message = str(err.get("message", message))
            row = err.get("row") if isinstance(err.get("row"), int) else None
        else:  # the Open Inference Protocol's {"error": "<message>"}
            message = str(err)
    except (ValueError, KeyError, TypeError):
        if data:
            message = f"HTTP {status}: {data[:200].decode('utf-8', 'replace')}"
    retry_after = _retry_after(headers.get("retry-after"))
    if status == 503:
        cls: Type[MemGuardError] = NotReadyError if code == "not_ready" else OverloadedError
    elif status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = ServerError
    else:
        cls = MemGuardError
    return cls(message, status=status, code=code, row=row, retry_after=retry_after)


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_ndarray(x: Any) -> bool:
    return type(x).__module__ == "numpy" and type(x).__name__ == "ndarray"


def _rows_as_lists(rows: Rows) -> List[List[float]]:
    if _is_ndarray(rows):
        if rows.ndim != 2:
            raise ValueError(f"expected a 2-D array (rows x k), got shape {rows.shape}")
        if rows.dtype.kind not in "fiu":
            raise TypeError(f"expected a numeric array, got dtype {rows.dtype}")
        out: List[List[float]] = rows.tolist()
        return out
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
        raise TypeError(f"expected rows (a list of lists of numbers, or a 2-D numpy array), got {type(rows).__name__}")
    result = []
    for r, row in enumerate(rows):
        if _is_ndarray(row):
            row = row.tolist()
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"row {r} is a {type(row).__name__}, not a sequence of numbers")
        values = []
        for j, x in enumerate(row):
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError(f"row {r}, column {j} is {x!r}, not a number")
            values.append(float(x))
        result.append(values)
    return result
