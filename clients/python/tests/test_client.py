"""memguard_client against a real `memguard serve` started here (and a scripted stand-in only for
what a real server cannot be made to do on cue: a given Retry-After).

Set by test/clients/python.test.ts (npm test), or by hand:
  MEMGUARD_SERVE_CMD   JSON array: the command that runs `memguard serve` (default ["memguard", "serve"])
  MEMGUARD_DEFENSE     the defense classifier file (g.json)
  MEMGUARD_KEY_FILE    the key file
  MEMGUARD_EXPECTED    JSON {"rows", "ids", "released", "noisy", "releasedByContent"}: MemGuard.protect's
                       answer for those rows with that key, with those ids and without (the oracle,
                       computed in-process by the library)
"""

from __future__ import annotations

import http.server
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

import memguard_client as mc

try:
    import numpy
except ImportError:  # numpy is optional: its tests skip
    numpy = None  # type: ignore[assignment]

TOKEN = "test-token-0123456789"


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest(f"{name} is not set (see this file's docstring)")
    return value


class Server:
    """`memguard serve ...` in a child process, on a free port, until stop()."""

    def __init__(self, *args: str) -> None:
        cmd = json.loads(os.environ.get("MEMGUARD_SERVE_CMD", '["memguard", "serve"]'))
        self.process = subprocess.Popen(
            [*cmd, "--defense", _env("MEMGUARD_DEFENSE"), "--epsilon", "0.5", "--key-file", _env("MEMGUARD_KEY_FILE"),
             "--port", "0", "--threads", "1", "--fixed-latency-ms", "0", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log: List[str] = []
        deadline = time.monotonic() + 120
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            event = json.loads(line)
            if event["event"] == "ready":
                self.url: str = event["url"]
                break
            if time.monotonic() > deadline:
                break
        else:
            raise RuntimeError("memguard serve exited before it was ready:\n" + "".join(self.log))
        # Keep reading the log so the child never blocks on a full pipe.
        threading.Thread(target=self._drain_log, daemon=True).start()

    def _drain_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=60)


def _float32(rows: List[List[float]]) -> List[List[float]]:
    """Each value rounded to float32 (the engine's precision), without numpy."""
    return [[struct.unpack("f", struct.pack("f", x))[0] for x in row] for row in rows]


def _expected() -> Dict[str, Any]:
    with open(_env("MEMGUARD_EXPECTED")) as f:
        return json.load(f)


class AgainstRealServer(unittest.TestCase):
    server: Server
    token_file: str

    @classmethod
    def setUpClass(cls) -> None:
        fd, cls.token_file = tempfile.mkstemp(prefix="memguard-token-")
        with os.fdopen(fd, "w") as f:
            f.write(TOKEN + "\n")
        # 16 KiB bodies at most: a few hundred rows are over the limit.
        cls.server = Server("--token-file", cls.token_file, "--max-body-mb", str(16 / 1024))
        cls.client = mc.MemGuardClient(cls.server.url, token=TOKEN, timeout=30)

    @classmethod
    def tearDownClass(cls) -> None:
        code = cls.server.stop()
        os.unlink(cls.token_file)
        assert code == 0, f"memguard serve exited {code} on SIGTERM"

    def test_released_rows_are_the_librarys_with_the_same_key(self) -> None:
        exp = _expected()
        result = self.client.protect(exp["rows"], ids=exp["ids"])
        self.assertEqual(result.noisy, exp["noisy"])
        self.assertEqual(_float32(result.released), _float32(exp["released"]))
        self.assertIn(1, exp["noisy"], "the sample should hold noisy rows, or it tests little")

    def test_numpy_in_float32_out(self) -> None:
        if numpy is None:
            self.skipTest("numpy is not installed")
        exp = _expected()
        rows = numpy.asarray(exp["rows"], dtype=numpy.float32)
        result = self.client.protect(rows, ids=exp["ids"])
        self.assertEqual(result.released.dtype, numpy.float32)
        self.assertEqual(result.released.shape, rows.shape)
        numpy.testing.assert_array_equal(result.released, numpy.asarray(exp["released"], dtype=numpy.float32))
        self.assertEqual(result.noisy.tolist(), exp["noisy"])

    def test_health(self) -> None:
        self.assertTrue(self.client.ready())
        self.assertTrue(self.client.live())

    def test_wrong_or_missing_token(self) -> None:
        for token in (None, "wrong-token"):
            with self.subTest(token=token):
                with self.assertRaises(mc.AuthenticationError) as caught:
                    mc.MemGuardClient(self.server.url, token=token).protect([[0.5, 0.5]])
                self.assertEqual(caught.exception.status, 401)
                self.assertEqual(caught.exception.code, "unauthorized")

    def test_not_confidence_vectors_names_the_row(self) -> None:
        rows = _expected()["rows"][:3]
        rows[2] = rows[2][:-1]  # k - 1 values
        with self.assertRaises(mc.NotConfidenceVectorsError) as caught:
            self.client.protect(rows)
        self.assertEqual((caught.exception.status, caught.exception.row), (422, 2))

    def test_malformed(self) -> None:
        rows = _expected()["rows"][:2]
        with self.assertRaises(mc.MalformedRequestError) as caught:
            self.client.protect(rows, ids=["only-one"])
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("ids", caught.exception.message)

    def test_too_large_arrives_as_413_even_when_the_whole_body_is_sent(self) -> None:
        rows = _expected()["rows"] * 40  # ~100 KiB of JSON against a 16 KiB limit
        with self.assertRaises(mc.PayloadTooLargeError) as caught:
            self.client.protect(rows)
        self.assertEqual(caught.exception.status, 413)

    def test_client_side_type_errors_name_the_cell(self) -> None:
        with self.assertRaisesRegex(TypeError, r"row 1, column 0 is '0.5'"):
            self.client.protect([[0.5, 0.5], ["0.5", 0.5]])
        with self.assertRaisesRegex(ValueError, "NaN"):
            self.client.protect([[float("nan"), 1.0]])

    def test_nothing_listening_is_a_transport_error(self) -> None:
        with self.assertRaises(mc.TransportError) as caught:
            mc.MemGuardClient("http://127.0.0.1:9", timeout=5).protect([[0.5, 0.5]])
        self.assertIsNone(caught.exception.status)


class Overload(unittest.TestCase):
    """A real server with a one-row queue and 24 concurrent one-row callers: some get 503."""

    server: Server

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = Server("--queue", "1", "--max-batch", "1", "--max-wait-ms", "0")

    @classmethod
    def tearDownClass(cls) -> None:
        assert cls.server.stop() == 0

    def _burst(self, client: mc.MemGuardClient, rows: List[List[float]]) -> List[Any]:
        def one(i: int) -> Any:
            try:
                return client.protect([rows[i % len(rows)]]).released[0]
            except mc.MemGuardError as e:
                return e
        with ThreadPoolExecutor(24) as pool:
            return list(pool.map(one, range(96)))

    def test_without_retries_the_503s_reach_the_caller_as_overloaded(self) -> None:
        rows = _expected()["rows"]
        answers = self._burst(mc.MemGuardClient(self.server.url, max_retries=0), rows)
        errors = [a for a in answers if isinstance(a, mc.MemGuardError)]
        self.assertTrue(errors, "24 concurrent callers on a one-row queue should see a 503")
        for e in errors:
            self.assertIsInstance(e, mc.OverloadedError)
            self.assertEqual((e.status, e.code, e.retry_after), (503, "overloaded", 1.0))

    def test_with_retries_every_call_is_answered_and_right(self) -> None:
        exp = _expected()
        rows = exp["rows"]
        sleeps: List[float] = []
        lock = threading.Lock()

        def sleep(s: float) -> None:
            with lock:
                sleeps.append(s)
            time.sleep(s)
        client = mc.MemGuardClient(self.server.url, max_retries=100, max_retry_wait=120, sleep=sleep)
        answers = self._burst(client, rows)
        self.assertEqual([a for a in answers if isinstance(a, Exception)], [])
        # Without ids the keyed coin reads each row's content: the library's answer for the same rows.
        self.assertEqual(_float32(answers), _float32([exp["releasedByContent"][i % len(rows)] for i in range(96)]))
        self.assertTrue(sleeps, "some calls should have been retried")
        self.assertTrue(all(s == 1.0 for s in sleeps), f"the server's Retry-After is 1 s: {sleeps}")


class Scripted(http.server.BaseHTTPRequestHandler):
    """Answers the queued (status, headers, body) in order, then 200s."""

    script: List[Tuple[int, Dict[str, str], bytes]] = []
    seen: List[Dict[str, str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        Scripted.seen.append({k.lower(): v for k, v in self.headers.items()})
        status, headers, body = Scripted.script.pop(0) if Scripted.script else (200, {}, b'{"released":[[0.5,0.5]],"noisy":[0]}')
        self.send_response(status)
        for k, v in {"content-type": "application/json", "content-length": str(len(body)), **headers}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class RetryRules(unittest.TestCase):
    """What a real server cannot be made to do on cue: long or dated Retry-After, V2-shaped errors."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        cls.url = f"http://127.0.0.1:{cls.httpd.server_address[1]}"

    @classmethod
    def tearDownClass(cls) -> None:
        cls.httpd.shutdown()
        cls.httpd.server_close()

    def setUp(self) -> None:
        Scripted.script = []
        Scripted.seen = []
        self.sleeps: List[float] = []

    def client(self, **kw: Any) -> mc.MemGuardClient:
        return mc.MemGuardClient(self.url, sleep=self.sleeps.append, **kw)

    def test_retry_after_is_honored_then_the_answer_returned(self) -> None:
        busy = (503, {"retry-after": "7"}, b'{"error":{"code":"overloaded","message":"full"}}')
        Scripted.script = [busy, busy]
        result = self.client(max_retries=3, max_retry_wait=60, token="abc").protect([[0.5, 0.5]])
        self.assertEqual(result.released, [[0.5, 0.5]])
        self.assertEqual(self.sleeps, [7.0, 7.0])
        self.assertEqual([h["authorization"] for h in Scripted.seen], ["Bearer abc"] * 3)

    def test_retries_are_bounded_in_count_and_in_time(self) -> None:
        busy = (503, {"retry-after": "7"}, b'{"error":{"code":"not_ready","message":"starting"}}')
        Scripted.script = [busy] * 5
        with self.assertRaises(mc.NotReadyError):
            self.client(max_retries=2, max_retry_wait=60).protect([[0.5, 0.5]])
        self.assertEqual((self.sleeps, len(Scripted.seen)), ([7.0, 7.0], 3))
        self.setUp()
        Scripted.script = [busy] * 5
        with self.assertRaises(mc.NotReadyError) as caught:
            self.client(max_retries=10, max_retry_wait=10).protect([[0.5, 0.5]])
        self.assertEqual((self.sleeps, len(Scripted.seen), caught.exception.retry_after), ([7.0], 2, 7.0))

    def test_an_http_date_retry_after(self) -> None:
        from email.utils import formatdate
        Scripted.script = [(503, {"retry-after": formatdate(time.time() + 30, usegmt=True)}, b"{}")]
        self.client(max_retries=1, max_retry_wait=60).protect([[0.5, 0.5]])
        self.assertEqual(len(self.sleeps), 1)
        self.assertTrue(25 <= self.sleeps[0] <= 31, self.sleeps)

    def test_no_retry_after_backs_off_exponentially(self) -> None:
        Scripted.script = [(503, {}, b"")] * 3
        self.client(max_retries=3).protect([[0.5, 0.5]])
        self.assertEqual(self.sleeps, [0.1, 0.2, 0.4])

    def test_errors_in_the_open_inference_protocols_shape_and_upstream_failures(self) -> None:
        Scripted.script = [(400, {}, b'{"error":"shape [2, 3] does not match 4 values"}'), (502, {}, b"<html>bad gateway</html>")]
        with self.assertRaises(mc.MalformedRequestError) as bad:
            self.client().protect([[0.5, 0.5]])
        self.assertEqual(bad.exception.message, "shape [2, 3] does not match 4 values")
        with self.assertRaises(mc.ServerError) as gateway:
            self.client().protect([[0.5, 0.5]])
        self.assertEqual(gateway.exception.status, 502)
        self.assertIn("bad gateway", gateway.exception.message)


if __name__ == "__main__":
    sys.exit(unittest.main())
