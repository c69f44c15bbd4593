"""Open Inference Protocol calls to `memguard serve` from clients that are not memguard's own:
Python's urllib and http.client (standard library) and httpx. Reads {"rows": [[...]], "ids": [...]}
on stdin, prints one JSON object with what each call answered (status and body)."""
import http.client
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import httpx

URL = sys.argv[1]
MODEL = sys.argv[2] if len(sys.argv) > 2 else "memguard"
request = json.load(sys.stdin)
rows, ids = request["rows"], request["ids"]
n, k = len(rows), len(rows[0])
out = {}


def urllib_call(method, path, body=None, content_type="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(URL + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return {"status": res.status, "body": json.loads(res.read())}
    except urllib.error.HTTPError as err:
        return {"status": err.code, "body": json.loads(err.read())}


for path in ["/v2/health/live", "/v2/health/ready", "/v2", f"/v2/models/{MODEL}", f"/v2/models/{MODEL}/ready"]:
    out["GET " + path] = urllib_call("GET", path)

flat = [x for row in rows for x in row]
v2 = {"id": "py-1", "parameters": {"ids": ids},
      "inputs": [{"name": "probabilities", "shape": [n, k], "datatype": "FP32", "data": flat}]}
out["urllib infer"] = urllib_call("POST", f"/v2/models/{MODEL}/infer", v2)
out["urllib predict"] = urllib_call("POST", f"/v1/models/{MODEL}:predict", {"instances": rows, "parameters": {"ids": ids}})
out["urllib wrong model"] = urllib_call("POST", "/v2/models/other/infer", v2)
out["urllib labels"] = urllib_call("POST", f"/v2/models/{MODEL}/infer",
                                   {"inputs": [{"name": "x", "shape": [n, 1], "datatype": "INT64", "data": [1] * n}]})
# A body over the limit, sent whole before the answer is read (urllib writes it all first).
big = json.dumps({"inputs": [{"name": "p", "shape": [1, k], "datatype": "FP32", "data": [0.0] * k}], "pad": "x" * int(sys.argv[3])}).encode()
try:
    out["urllib oversized"] = urllib_call("POST", f"/v2/models/{MODEL}/infer", big)
except Exception as err:  # a reset instead of the 413 is what this checks against
    out["urllib oversized"] = {"status": None, "body": repr(err)}

u = urllib.parse.urlsplit(URL)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
nested = dict(v2, inputs=[dict(v2["inputs"][0], datatype="FP64", data=rows)])
conn.request("POST", f"/v2/models/{MODEL}/infer", body=json.dumps(nested), headers={"Content-Type": "application/json"})
res = conn.getresponse()
out["http.client infer"] = {"status": res.status, "body": json.loads(res.read())}
conn.close()

with httpx.Client(base_url=URL, timeout=30) as client:
    r = client.post(f"/v2/models/{MODEL}/infer", json=v2)
    out["httpx infer"] = {"status": r.status_code, "body": r.json()}
    r = client.post(f"/v2/models/{MODEL}/infer", content=b'{"inputs": [', headers={"content-type": "application/json"})
    out["httpx bad json"] = {"status": r.status_code, "body": r.json()}
    out["httpx version"] = httpx.__version__

print(json.dumps(out))
