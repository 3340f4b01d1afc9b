"""Prints the function names of manifest/: `api` (HTTP and WebSocket routes, served by the
forgeflow-api binary) or `workers` (one binary each), one per line."""
import json
import pathlib
import sys

manifest = pathlib.Path(__file__).resolve().parents[2] / "manifest"


def load(name):
    return json.loads((manifest / name).read_text())


kind = sys.argv[1] if len(sys.argv) > 1 else ""
if kind == "api":
    names = [r["function"] for r in load("routes.json")["routes"]]
    names += [r["function"] for r in load("websocket.json")["routes"]]
elif kind == "workers":
    names = [w["function"] for w in load("workers.json")["workers"]]
else:
    sys.exit("usage: manifest_functions.py api|workers")
print("\n".join(names))
