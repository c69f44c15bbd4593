# Calling `memguard serve` from a Python model server, with the standard library only.
import json
import os
import urllib.error
import urllib.request

MEMGUARD_URL = os.environ.get("MEMGUARD_URL", "http://127.0.0.1:8642")


class MemGuardError(Exception):
    def __init__(self, status, code, message, row=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.row = status, code, row


def protect(scores, ids=None, token=None, timeout=30):
    """scores: a list of rows (each k probabilities); returns (released rows, noisy flags)."""
    body = {"scores": [[float(x) for x in row] for row in scores]}
    if ids is not None:
        body["ids"] = list(ids)
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = "Bearer " + token
    request = urllib.request.Request(MEMGUARD_URL + "/v1/protect", data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as e:
        error = json.load(e)["error"]
        raise MemGuardError(e.code, error["code"], error["message"], error.get("row")) from None
    # Each number is the shortest text of a float32: numpy.float32(x) recovers it exactly.
    return answer["released"], answer["noisy"]


if __name__ == "__main__":
    import sys

    # Reads {"scores": [[...], ...]} on stdin and prints the server's answer (or its error).
    request = json.load(sys.stdin)
    try:
        released, noisy = protect(request["scores"], request.get("ids"), os.environ.get("MEMGUARD_TOKEN"))
        print(json.dumps({"released": released, "noisy": noisy}))
    except MemGuardError as e:
        print(json.dumps({"status": e.status, "code": e.code, "row": e.row}))
