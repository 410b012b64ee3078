# SPDX-License-Identifier: MIT
# The checks the linux and qemu suites' shell tests share, sourced: each
# prints "ok - WHAT" or "not ok - WHAT" and counts the failures.
failures=0

check() {
	what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		failures=$((failures + 1))
	fi
}

# has FILE TEXT, lacks FILE TEXT: whether FILE holds TEXT.
has() {
	grep -qF -- "$2" "$1"
}

lacks() {
	! grep -qF -- "$2" "$1"
}

not_grep() {
	! grep "$@"
}

# wait_for FILE TEXT TENTHS: until FILE holds TEXT, TENTHS of a second at
# most; whether it came.
wait_for() {
	tries=0
	until has "$1" "$2"; do
		[ $tries -eq "$3" ] && return 1
		sleep 0.1
		tries=$((tries + 1))
	done
}

# What examples/scripts/process_info.lua printed in OUT for the guest of
# make-linux-guest, and the run's exit code $rc.
check_process_info() {
	check "init's argv" has "$1" \
		'process: pid 1 args {"/bin/busybox", "sh", "/init"}'
	check "an exec's path, argv and environment" grep -q \
		'^pid [0-9]* execve("/proc/self/exe", {"dmesg"}, {.*"PATH=/bin".*})$' \
		"$1"
	check "the argv after it" grep -q \
		'^after exec: pid [0-9]* args {"dmesg"}$' "$1"
	check "exit 0" test "$rc" -eq 0
}

# The same for which_mapping.lua on read(2) (MAPPING_SYSCALL=read).
check_which_mapping() {
	check "init reads into its stack" grep -Eq \
		'^pid 1 read\(0x[0-9a-f]+\): rw-p \[stack\]\+0x[0-9a-f]+$' "$1"
	# An anonymous mapping's offset is the address's within it, as
	# /proc/PID/maps gives it no file offset: a heap is far below 1 GiB.
	check "processes read into their heap, offsets within it" grep -Eq \
		'^pid [0-9]+ read\(0x[0-9a-f]+\): rw-p \[heap\]\+0x[0-9a-f]{1,7}$' \
		"$1"
	check "no heap offset as large as an address" not_grep -Eq \
		'\[heap\]\+0x[0-9a-f]{8,}$' "$1"
	check "exit 0" test "$rc" -eq 0
}
