#!/usr/bin/env bash
# Holds the layering of docs/architecture.md ("Layers") on the sources: prints file:line: rule:
# what, for every break, and exits 1 when a strict rule is broken. No dependencies beyond python3.
#
#   scripts/check-layering.sh [--root DIR]
#
# Rules (each a function below; add one by writing it and listing it in RULES; both are strict):
#   rocksdb   only src/storage sees RocksDB: no `#include <rocksdb/...>`, no `rocksdb::` and no
#             storage/rocks.h (storage's private header) in any other C++ file.
#   services  a service folder (src/dynamodb, streams, sqs, sns, lambda, logs, cloudwatch) includes
#             another service's headers; services reach each other through src/ports.
# Run by scripts/test.sh before it builds, and by ctest (test `layering`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec python3 - "$root" "$@" <<'PY'
import os
import re
import sys

root = sys.argv[1]
args = sys.argv[2:]
strict = {"rocksdb", "services"}
while args:
    a = args.pop(0)
    if a == "--strict-services":
        pass  # the default now; kept so older command lines still work
    elif a == "--root" and args:
        root = os.path.abspath(args.pop(0))
    else:
        sys.exit("check-layering: unknown argument " + a + " (use --root DIR)")

SERVICES = ["dynamodb", "streams", "sqs", "sns", "lambda", "logs", "cloudwatch"]
SOURCE_EXT = (".h", ".hh", ".hpp", ".c", ".cc", ".cpp", ".cxx", ".inc")
SKIP_DIRS = {".git", "node_modules", "third_party"}  # and every build*/ directory


def sources():
    """(path relative to root, lines) of every C/C++ file in the tree, build trees excepted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build"))
        for name in sorted(filenames):
            if name.endswith(SOURCE_EXT):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    yield os.path.relpath(path, root), f.read().split("\n")


def code_of(line):
    """The line without its // comment (a comment may name what the code must not)."""
    return line.split("//", 1)[0]


INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def rule_rocksdb(path, lines):
    if path.startswith("src/storage/"):
        return
    for n, line in enumerate(lines, 1):
        code = code_of(line)
        m = INCLUDE.match(code)
        if m and m.group(1).startswith("rocksdb/"):
            yield n, "includes <%s>: only src/storage sees RocksDB (use storage/read.h, storage/engine.h)" % m.group(1)
        elif m and m.group(1) == "storage/rocks.h":
            yield n, "includes storage/rocks.h, storage's private header"
        elif "rocksdb::" in code:
            yield n, "names rocksdb::: only src/storage sees RocksDB (use storage/read.h, storage/engine.h)"


def rule_services(path, lines):
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "src" or parts[1] not in SERVICES:
        return
    own = parts[1]
    for n, line in enumerate(lines, 1):
        m = INCLUDE.match(code_of(line))
        if not m:
            continue
        target = m.group(1).split("/", 1)[0]
        if target in SERVICES and target != own and "/" in m.group(1):
            yield n, "service %s includes %s: reach another service through src/ports" % (own, m.group(1))


RULES = [("rocksdb", rule_rocksdb), ("services", rule_services)]

failed = False
counts = {name: 0 for name, _ in RULES}
for path, lines in sources():
    for name, rule in RULES:
        for n, what in rule(path, lines):
            counts[name] += 1
            level = "error" if name in strict else "note"
            print("%s:%d: %s (%s): %s" % (path, n, level, name, what))
            failed = failed or name in strict
summary = ", ".join("%s: %d%s" % (name, c, "" if name in strict else " (report only)") for name, c in counts.items())
print("check-layering: " + ("FAILED; " if failed else "ok; ") + summary, file=sys.stderr)
sys.exit(1 if failed else 0)
PY
