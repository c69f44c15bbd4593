# Calling `memguard serve` from a Python model server with memguard_client (clients/python:
# `pip install clients/python`, standard library only; numpy arrays accepted when numpy is there).
import json
import os
import sys

from memguard_client import MemGuardClient, MemGuardError

client = MemGuardClient(os.environ.get("MEMGUARD_URL", "http://127.0.0.1:8642"),
                        token=os.environ.get("MEMGUARD_TOKEN"), timeout=30.0, max_retries=3)


def protect(scores, ids=None):
    """scores: rows of k probabilities (lists or a 2-D numpy array); returns (released, noisy).

    Return `released` to the caller; keep `noisy` on the server side (it marks the noisy rows).
    A 503 is retried after the server's Retry-After; other failures raise one exception per kind
    (NotConfidenceVectorsError names the row, AuthenticationError, PayloadTooLargeError, ...).
    """
    result = client.protect(scores, ids=ids)
    return result.released, result.noisy


if __name__ == "__main__":
    # Reads {"scores": [[...], ...], "ids"?: [...]} on stdin and prints the server's answer (or its error).
    request = json.load(sys.stdin)
    try:
        released, noisy = protect(request["scores"], request.get("ids"))
        print(json.dumps({"released": released, "noisy": noisy}))
    except MemGuardError as e:
        print(json.dumps({"status": e.status, "code": e.code, "row": e.row}))
