#!/bin/sh
# SPDX-License-Identifier: MIT
# The workload benchmark (tools/hypermem-bench/workload.sh) with a short
# run of a few configurations: every row is there and complete, the
# workload made progress, nothing was raised where nothing is subscribed
# (or no module is loaded), and openat's hook saw the workload's openat
# calls. No timing is asserted.
#
# usage: workload-test.sh core|qemu WORKLOAD_SH HYPERMEM_RUN GUEST_DIR CONFIGS
set -u
vmm=$1 bench=$2 run=$3 guest=$4 configs=$5
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT

if [ "$vmm" = core ] && [ ! -c /dev/kvm ]; then
	echo "SKIP: no /dev/kvm (the linux suite runs through scripts/with-kvm)"
	exit 77
fi
# make-linux-guest puts the host's strace in the image where it has one:
# scripts/install-deps installs it.
if ! command -v strace >/dev/null && echo "$configs" | grep -q strace; then
	echo "FAIL: no strace on this host for the strace rows:" \
		"scripts/install-deps installs it (then rebuild the guest)"
	exit 1
fi
"$bench" --vmm "$vmm" --workloads syscalls --iters syscalls=100 \
	--configs "$configs" "$run" "$guest" >"$out"
rc=$?
cat "$out"
[ $rc = 0 ] || { echo "FAIL: workload.sh exited $rc"; exit 1; }
python3 - "$out" "$vmm" "$configs" <<'PY'
import json
import sys

path, vmm, configs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
rows = [json.loads(line) for line in open(path, encoding="utf-8")
        if line.startswith("{")]
assert [r["config"] for r in rows] == configs, rows
for r in rows:
    assert set(r) == {"workload", "config", "vmm", "ops_per_s", "slowdown",
                      "events", "exits", "us_per_event"}, r
    assert r["workload"] == "syscalls" and r["vmm"] == vmm, r
    assert r["ops_per_s"] > 0 and r["exits"] >= 0, r
    if "none" in configs:
        assert r["slowdown"] > 0, r
    if r["config"] in ("none", "nohost", "empty", "never", "comm") or \
            r["config"].startswith("strace"):
        assert r["events"] == 0, f"events where nothing is raised: {r}"
    # 100 rounds of 3 openat, and the exec'd children's own.
    if r["config"] in ("openat", "openat-py"):
        assert r["events"] >= 300, f"too few openat events: {r}"
        if "none" in configs:
            assert r["us_per_event"] is not None, r
    if r["config"] == "all":
        assert r["events"] >= 1200, f"too few events: {r}"
print(f"PASS: {len(rows)} rows")
PY
