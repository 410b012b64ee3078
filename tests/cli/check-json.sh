#!/bin/sh
# --json output is JSON Lines: every line one object with a known type,
# events carrying their fields, and one closing result that counts them
# and the guest's exits.
# With --prints FILE, the texts of the first print objects must equal the
# JSON list in FILE, character for character.
# usage: check-json.sh HYPERMEM_RUN [--prints FILE] [ARGS...]
run=$1
shift
prints=
if [ "${1:-}" = --prints ]; then
	prints=$2
	shift 2
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$run" --json "$@" >"$out"
rc=$?
if [ $rc -eq 4 ]; then
	echo "skip: hypermem-run cannot use /dev/kvm here (exit code 4)"
	exit 77
fi
"${PYTHON:-python3}" - "$out" "$rc" "$prints" <<'PY'
import json
import sys

path, rc, prints_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
counts = {}
texts = []
with open(path, encoding="utf-8") as f:
    lines = f.read().split("\n")
assert lines[-1] == "", "output does not end with a newline"
for n, line in enumerate(lines[:-1], 1):
    obj = json.loads(line)
    assert isinstance(obj, dict), f"line {n} is not an object"
    kind = obj["type"]
    counts[kind] = counts.get(kind, 0) + 1
    if kind == "event":
        assert obj["phase"] in ("enter", "return", "user"), line
        assert len(obj["args"]) == 6, line
        assert isinstance(obj["nr"], int) and isinstance(obj["cpu"], int)
        assert ("ret" in obj) == (obj["phase"] == "return"), line
    elif kind in ("print", "console", "info"):
        assert isinstance(obj["text"], str) and "\n" not in obj["text"]
        if kind == "print":
            texts.append(obj["text"])
    elif kind == "result":
        assert obj["exit_code"] == rc, line
        assert n == len(lines) - 1, "result is not the last line"
        # Every event the guest raised was printed; each cost an exit.
        assert obj["events"] == counts.get("event", 0), line
        assert obj["exits"] >= obj["events"], line
    else:
        assert kind == "error", f"line {n}: unknown type {kind}"
for kind in ("event", "print", "console", "result"):
    assert counts.get(kind), f"no {kind} objects"
assert counts["result"] == 1
if prints_path:
    with open(prints_path, encoding="utf-8") as f:
        want = json.load(f)
    got = texts[:len(want)]
    assert got == want, f"print texts differ:\n got {got!r}\nwant {want!r}"
print(f"PASS: {len(lines) - 1} JSON lines, {counts}")
PY
