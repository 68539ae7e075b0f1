#!/usr/bin/env python3
"""Generates src/protocol/models/{sqs,sns}.json: the trimmed AWS Query models runnel embeds.

The Query protocol (form-encoded requests, XML responses) names every parameter and element after
the botocore model's serialization traits (locationName, flattened, resultWrapper, xmlNamespace).
This script keeps exactly those traits, drops documentation and everything else, and resolves each
shape reference once, so the C++ side (src/protocol/query_model.cc) never has to merge traits:

  {"metadata": {"apiVersion", "xmlNamespace", "sources": [...]},
   "operations": {"<Op>": {"input": "<Shape>", "output": "<Shape>", "resultWrapper": "<Op>Result"}},
   "shapes": {"<Shape>": {"type": "structure", "members": {"<Name>": <ref>, ...}}
                       | {"type": "list", "member": <ref>}
                       | {"type": "map", "key": <ref>, "value": <ref>}
                       | {"type": "string" | "integer" | "long" | "boolean" | "blob" | "timestamp" | ...}},
   "errors": {"<ExceptionShape>": {"code": "<query error code>", "status": 400, "senderFault": true}}}
  <ref> = {"shape": "<Shape>", "locationName": "...", "flattened": true}   (traits only when set)

Like botocore's ShapeResolver, a reference's traits override the target shape's own: a member's
effective locationName is the reference's, else the shape's (SQS's QueueAttributeMap carries
locationName "Attribute" and flattened at shape level).

Sources (the committed output means a build never needs botocore):
  - Query models from Debian's python3-botocore 1.29: sqs/2012-11-05 and sns/2010-03-31.
  - SQS only: botocore 1.43's JSON model (awsQueryCompatible) for operations the old Query model
    lacks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask). Their shapes get the
    Query protocol's default naming (member name, "member", "entry", resultWrapper "<Op>Result"),
    plus QUERY_NAMING_OVERRIDES below. Exception shapes only the JSON model knows are added with
    their shape name as code: 1.43's JSON model carries no `error` traits at all (checked), so the
    legacy codes come from the 1.29 Query model.

Usage: tools/gen_query_model.py [--out src/protocol/models] [--check]
"""
import argparse
import gzip
import json
import os
import sys

DEBIAN = "/usr/lib/python3/dist-packages/botocore/data"
PYENV = "/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore/data"

SOURCES = {
    "sqs": {
        "query": f"{DEBIAN}/sqs/2012-11-05/service-2.json",
        "json": f"{PYENV}/sqs/2012-11-05/service-2.json.gz",
    },
    "sns": {
        "query": f"{DEBIAN}/sns/2010-03-31/service-2.json",
    },
}

# Query naming that default naming gets wrong for operations taken from the JSON model. Checked
# against the last SQS Query model botocore shipped (1.34.22, e.g. the copy inside
# google-cloud-sdk's third_party/botocore): ListMessageMoveTasks returns repeated
# <ListMessageMoveTasksResultEntry> elements, not <Results>. Exceptions: ResourceNotFoundException
# is 404 there.
QUERY_NAMING_OVERRIDES = {
    "sqs": {
        ("ListMessageMoveTasksResultEntryList", "member"): {"locationName": "ListMessageMoveTasksResultEntry"},
    },
}
ERROR_OVERRIDES = {
    "sqs": {
        "ResourceNotFoundException": {"code": "ResourceNotFoundException", "status": 404, "senderFault": True},
    },
}

SCALARS = {"string", "integer", "long", "boolean", "blob", "timestamp", "double", "float"}


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


class Trimmer:
    """Copies the shapes reachable from the chosen operations, resolving reference traits."""

    def __init__(self, service):
        self.service = service
        self.shapes = {}

    def ref(self, model, ref, owner, slot):
        name = ref["shape"]
        target = model["shapes"][name]
        out = {"shape": name}
        location = ref.get("locationName", target.get("locationName"))
        if location:
            out["locationName"] = location
        if ref.get("flattened", target.get("flattened")):
            out["flattened"] = True
        out.update(QUERY_NAMING_OVERRIDES.get(self.service, {}).get((owner, slot), {}))
        self.shape(model, name)
        return out

    def shape(self, model, name):
        if name in self.shapes:
            return
        src = model["shapes"][name]
        kind = src["type"]
        out = {"type": kind}
        self.shapes[name] = out  # before recursing: shapes may refer to themselves
        if kind == "structure":
            out["members"] = {m: self.ref(model, r, name, m) for m, r in src.get("members", {}).items()}
        elif kind == "list":
            out["member"] = self.ref(model, src["member"], name, "member")
        elif kind == "map":
            out["key"] = self.ref(model, src["key"], name, "key")
            out["value"] = self.ref(model, src["value"], name, "value")
        elif kind not in SCALARS:
            raise SystemExit(f"{self.service}: shape {name} has unsupported type {kind}")


def operation_entry(trimmer, model, op, default_naming):
    entry = {}
    if "input" in op:
        trimmer.shape(model, op["input"]["shape"])
        entry["input"] = op["input"]["shape"]
    if "output" in op:
        trimmer.shape(model, op["output"]["shape"])
        entry["output"] = op["output"]["shape"]
        wrapper = op["output"].get("resultWrapper")
        if wrapper is None and default_naming:
            wrapper = op["name"] + "Result"
        if wrapper:
            entry["resultWrapper"] = wrapper
    return entry


def error_entry(shape):
    err = shape.get("error")
    if not err:
        return None
    return {"code": err["code"], "status": err.get("httpStatusCode", 400),
            "senderFault": bool(err.get("senderFault", False))}


def build(service):
    sources = SOURCES[service]
    query = load(sources["query"])
    if query["metadata"]["protocol"] != "query":
        raise SystemExit(f"{sources['query']} is not a query model")
    trimmer = Trimmer(service)
    operations = {}
    for name in sorted(query["operations"]):
        operations[name] = operation_entry(trimmer, query, query["operations"][name], False)
    errors = {}
    for name, shape in sorted(query["shapes"].items()):
        if shape.get("exception"):
            errors[name] = error_entry(shape) or {"code": name, "status": 400, "senderFault": True}

    used = [sources["query"]]
    if "json" in sources:
        newer = load(sources["json"])
        if "awsQueryCompatible" not in newer["metadata"]:
            raise SystemExit(f"{sources['json']} is not awsQueryCompatible")
        used.append(sources["json"])
        for name in sorted(set(newer["operations"]) - set(query["operations"])):
            operations[name] = operation_entry(trimmer, newer, newer["operations"][name], True)
        for name, shape in sorted(newer["shapes"].items()):
            if shape.get("exception") and name not in errors:
                errors[name] = error_entry(shape) or {"code": name, "status": 400, "senderFault": True}
    errors.update(ERROR_OVERRIDES.get(service, {}))

    return {
        "metadata": {
            "apiVersion": query["metadata"]["apiVersion"],
            "xmlNamespace": query["metadata"]["xmlNamespace"],
            "sources": [os.path.basename(os.path.dirname(os.path.dirname(p))) + "/" +
                        os.path.basename(os.path.dirname(p)) + " " + ("query" if p == sources["query"] else "json")
                        for p in used],
        },
        "operations": dict(sorted(operations.items())),
        "shapes": dict(sorted(trimmer.shapes.items())),
        "errors": dict(sorted(errors.items())),
    }


def render(model):
    # One line per top-level entry keeps the committed file small yet diffable.
    parts = []
    for section in ("metadata", "operations", "shapes", "errors"):
        value = model[section]
        if section == "metadata":
            parts.append(f'"{section}":' + json.dumps(value, separators=(",", ":"), sort_keys=True))
            continue
        lines = [json.dumps(k) + ":" + json.dumps(v, separators=(",", ":")) for k, v in value.items()]
        parts.append(f'"{section}":{{\n' + ",\n".join(lines) + "\n}")
    return "{" + ",\n".join(parts) + "}\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(here, "..", "src", "protocol", "models"))
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    stale = []
    for service in SOURCES:
        text = render(build(service))
        path = os.path.join(args.out, f"{service}.json")
        if args.check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(path)
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {path} ({len(text)} bytes)")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
