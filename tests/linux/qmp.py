#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# One QMP command on a running QEMU's monitor, for the tests: prints its
# return value as JSON, or its error and exits 1.
#
# usage: qmp.py SOCKET COMMAND [ARGUMENTS_JSON]
import json
import socket
import sys


def main():
    path, command = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(path)
    lines = sock.makefile("r")
    json.loads(lines.readline())
    for execute in ({"execute": "qmp_capabilities"},
                    {"execute": command, "arguments":
                     json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}}):
        sock.sendall(json.dumps(execute).encode() + b"\n")
        while True:
            reply = json.loads(lines.readline())
            if "return" in reply or "error" in reply:
                break
        if "error" in reply:
            print(reply["error"]["desc"])
            return 1
    print(json.dumps(reply["return"]))
    return 0


sys.exit(main())
