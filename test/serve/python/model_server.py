"""A small model server for memguard's proxy-mode tests: the Open Inference Protocol (V2, REST) and
KServe V1 over Python's standard library (http.server). The model: softmax(x W + b) over 30 classes
for 8 input features, with fixed weights; it answers the probabilities (FP32 [n, 30]) and the class
labels (INT64 [n]). Test hooks, chosen by the first input's name (V2) or "mode" (V1):
"slow" sleeps 5 s, "fail" answers 500, anything not [n, 8] numbers is a 400.
Prints the port it listens on (127.0.0.1, an ephemeral port), then serves until killed."""
import json
import math
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

D, K = 8, 30
W = [[math.sin(i * 31 + j) * 0.8 for j in range(K)] for i in range(D)]
B = [math.cos(j) * 0.3 for j in range(K)]


def predict(rows):
    out = []
    for x in rows:
        z = [B[j] + sum(x[i] * W[i][j] for i in range(D)) for j in range(K)]
        m = max(z)
        e = [math.exp(v - m) for v in z]
        s = sum(e)
        out.append([v / s for v in e])
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        m = re.fullmatch(r"/v2/models/([^/]+)", self.path)
        if self.path in ("/v2/health/ready", "/v2/health/live"):
            self.send(200, {})
        elif m:
            self.send(200, {"name": m.group(1), "versions": ["1"], "platform": "python-stdlib",
                            "inputs": [{"name": "features", "datatype": "FP32", "shape": [-1, D]}],
                            "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, K]},
                                        {"name": "label", "datatype": "INT64", "shape": [-1]}]})
        else:
            self.send(404, {"error": "no route " + self.path})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        v2 = re.fullmatch(r"/v2/models/([^/]+)/infer", self.path)
        v1 = re.fullmatch(r"/v1/models/([^/:]+):predict", self.path)
        if not v2 and not v1:
            return self.send(404, {"error": "no route " + self.path})
        if v2:
            inp = (body.get("inputs") or [{}])[0]
            mode, rows, dtype = inp.get("name"), inp.get("data"), inp.get("datatype", "FP32")
            if isinstance(rows, list) and rows and not isinstance(rows[0], list):
                rows = [rows[i:i + D] for i in range(0, len(rows), D)]
        else:
            mode, rows, dtype = body.get("mode"), body.get("instances"), "FP32"
        if mode == "slow":
            time.sleep(5)
        if mode == "fail":
            return self.send(500, {"error": "the model crashed (test hook)"})
        if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == D for r in rows):
            return self.send(400, {"error": f"expected rows of {D} features"})
        probs = predict(rows)
        labels = [max(range(K), key=lambda j: p[j]) for p in probs]
        if v2:
            out_type = body.get("parameters", {}).get("output_datatype", "FP32")
            self.send(200, {"model_name": v2.group(1), "model_version": "1", "id": body.get("id", "none"),
                            "parameters": {"served_by": "model_server.py"},
                            "outputs": [{"name": "label", "shape": [len(rows)], "datatype": "INT64", "data": labels},
                                        {"name": "probabilities", "shape": [len(rows), K], "datatype": out_type,
                                         "data": [v for p in probs for v in p]}]})
        elif mode == "objects":
            self.send(200, {"predictions": [{"probabilities": p, "label": l} for p, l in zip(probs, labels)]})
        elif mode == "labels":
            self.send(200, {"predictions": labels})
        else:
            self.send(200, {"predictions": probs})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
