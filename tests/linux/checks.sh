# SPDX-License-Identifier: MIT
# The checks the linux and qemu suites' shell tests share, sourced: each
# prints "ok - WHAT" or "not ok - WHAT" and counts the failures; check
# returns whether it passed.
failures=0

check() {
	what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		failures=$((failures + 1))
		return 1
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

# wait_for_re FILE REGEX TENTHS: the same for an extended regex.
wait_for_re() {
	tries=0
	until grep -Eq -- "$2" "$1" 2>/dev/null; do
		[ $tries -eq "$3" ] && return 1
		sleep 0.1
		tries=$((tries + 1))
	done
}

# The Debian disk image of scripts/make-disk-image, made here when the
# cache has none: "IMAGE VMLINUZ INITRD" in $made, or 1.
disk_image() {
	make_image=$(dirname "$0")/../../scripts/make-disk-image
	if ! made=$("$make_image" --print); then
		start=$(date +%s)
		"$make_image" 2>&1 | sed 's/^/# /'
		echo "# the image made in $(($(date +%s) - start)) s"
		made=$("$make_image" --print)
	fi
	check "the disk image is made (scripts/make-disk-image)" \
		test -n "$made"
	[ -n "$made" ]
}

# The disk VM just attached to, CONSOLE its console: what PS_WHEN=now
# ps.lua printed in OUT (udev loaded the module, hm-service runs under
# systemd). ps.lua's one event can end the run, and the unplug come,
# before the module's loading is over: "loaded: 0 of 1" then, or later
# (a call of its loading that waits for the host which left).
check_disk_ps() {
	check "udev loads the module by its modalias" wait_for_re "$2" \
		'hypermem: loaded: [01] of 1 cpus have a host, transport ivshmem' \
		150
	check "ps.lua: systemd is pid 1" grep -Eq \
		'^ +1 +0 +0 [A-Z]  systemd$' "$1"
	check "hm-service is its child" grep -Eq \
		'^ +[0-9]+ +1 +0 [A-Z]    hm-service$' "$1"
}

# The same for examples/plugins/ioctl_interaction.py on hm-service's ioctl.
check_disk_plugin() {
	check "the plugin reads the service's request" has "$1" \
		"plugins.ioctl_interaction: Interface: hm0"
	check "and its value" has "$1" "plugins.ioctl_interaction: Data: 0x2a"
	check "and the service's argv" has "$1" \
		"plugins.ioctl_interaction: Found process: ['/usr/local/sbin/hm-service', '5']"
	check "the service sees what the plugin wrote" wait_for_re "$2" \
		'hm-service\[[0-9]+\]: round [0-9]+ PASS' 200
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
	# The MIPS guests' stacks are mapped executable (rwxp).
	check "init reads into its stack" grep -Eq \
		'^pid 1 read\(0x[0-9a-f]+\): rw[-x]p \[stack\]\+0x[0-9a-f]+$' "$1"
	# An anonymous mapping's offset is the address's within it, as
	# /proc/PID/maps gives it no file offset: a heap is far below 1 GiB.
	check "processes read into their heap, offsets within it" grep -Eq \
		'^pid [0-9]+ read\(0x[0-9a-f]+\): rw-p \[heap\]\+0x[0-9a-f]{1,7}$' \
		"$1"
	check "no heap offset as large as an address" not_grep -Eq \
		'\[heap\]\+0x[0-9a-f]{8,}$' "$1"
	check "exit 0" test "$rc" -eq 0
}
