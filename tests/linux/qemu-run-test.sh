#!/bin/sh
# SPDX-License-Identifier: MIT
# hypermem-run with a stock QEMU under TCG (no KVM anywhere): the module
# finds the ivshmem-doorbell device and rings the host through it, the
# mailbox transport.
#
# The guest image is the build's (scripts/make-linux-guest, in WORK_DIR);
# SCRIPTS is examples/scripts, HERE this test's folder.
#
#   kvm           full's run with --accel kvm (suite linux: inside
#                 scripts/with-kvm's VM, whose KVM is real): QEMU runs the
#                 guest on KVM and the module still rings over ivshmem
#   full          --vmm qemu, two vCPUs, ioctl_interaction.lua: both CPUs
#                 register over ivshmem, the script answers each CPU's
#                 user event and both sides pass; reboot -f ends QEMU,
#                 exit 0
#   stop          hm.stop() in the first event ends the run at once,
#                 exit 0, and kills QEMU
#   stall         QEMU stopped inside an event past the deadline: the
#                 script's read times out, the guest goes on afterwards
#   interrupt     SIGINT while a read waits on a stopped QEMU: the read is
#                 canceled at once, exit 0, "interrupted", QEMU killed
#   timeout       --timeout 4 ends a guest still booting, exit 5, says
#                 no CPU registered and what to check, and kills QEMU
#   socket        --qemu-socket: the test starts QEMU with the options
#                 hypermem-run prints; the run ends when QEMU exits
#   ps            examples/scripts/ps.lua: the process tree when
#                 hm-ioctl-test starts
#   process-info  examples/scripts/process_info.lua: argv and environment
#                 of each process and exec
#   process-events tests/cli/scripts/process_events.lua: exec, exit and
#                 fork events (hm.on_process)
#   which-mapping examples/scripts/which_mapping.lua on read(2): the stack
#                 and heap buffers, offsets within their mappings
#   python        examples/plugins/ioctl_interaction.py (hypermem-run hands
#                 it to python3 -m hypermem) on hm-siocdev-test's ioctl
#   attach        --attach: the test starts a q35 VM with a free
#                 pcie-root-port, a QMP socket and hypermem.hotplug=1;
#                 hypermem-run plugs the device in, the first user event
#                 stops the script, the device is unplugged; twice, and
#                 the VM still runs
#   attach-silent --attach to a VM without the module: one line says what
#                 to check, exit 5 within --timeout, the device unplugged
#   attach-refused q35 without a free root port: QEMU's refusal, what the
#                 VM needs, nothing left plugged, the VM runs on
#   attach-pc     a pc machine: the device on its root bus
#   disk-attach   the Debian disk VM started by the test, attached to
#                 after its service ran: udev loads the module by
#                 modalias; ps.lua, then ioctl_interaction.py until
#                 Ctrl-C; the VM and its service run on
#   polled-MODE   MODE (full, socket, ps, python, attach-pc) with
#                 --qemu-doorbell off: ivshmem-plain on the host's memory,
#                 no doorbell, the host polling the mailbox, as on
#                 machines without MSI-X (MIPS Malta); the module says
#                 the host polls
#   disk          the Debian disk image of scripts/make-disk-image (made
#                 here when the cache has none; root): --drive, its own
#                 kernel and initrd, systemd, the module from hypermem-dkms,
#                 loaded by udev; disk-service.lua finds hm-service,
#                 answers its ioctl and sees what it writes to its file
#
#   control       tests/linux/control.lua with hmcontrol: event control
#                 (a count changed, a return replaced, a mkdir skipped)
#                 and a file written, over ivshmem
#
# Every mode also checks that nothing is left behind: no QEMU process, no
# socket or directory in TMPDIR.
#
# ARCH (default x86_64) is the guest's: WORK_DIR then holds that
# architecture's kernel (aarch64: tests/linux/qemu-aarch64's Image; arm,
# mipsel, mips64el: ARCH-vmlinuz and ARCH-initramfs.cpio of
# tests/linux/guests) and initramfs, which hypermem-run boots on that
# architecture's QEMU, told by the kernel's header (Malta's polled: no
# MSI-X there). full, ps, process-info, process-events, which-mapping,
# python and control run on each; the others start qemu-system-x86_64
# themselves.
#
# usage: qemu-run-test.sh MODE HYPERMEM_RUN WORK_DIR SCRIPTS HERE [ARCH]
set -u
mode=$1 run=$2 work=$3 scripts=$4 here=$5 arch=${6:-x86_64}
plugins=$scripts/../plugins
# The guest's files in WORK_DIR, its QEMU and console, the vCPUs and
# memory full boots with (Malta's kernels are uniprocessor), and whether
# its machine has the MSI-X ivshmem-doorbell needs (Malta has not: the
# host polls ivshmem-plain, --qemu-doorbell auto's choice there).
initrd=initramfs.cpio tag= cpus=2 mem=512 doorbell=on
case $arch in
x86_64) kernel=bzImage qemu=qemu-system-x86_64 serial=ttyS0 ;;
aarch64) kernel=Image qemu=qemu-system-aarch64 serial=ttyAMA0 ;;
arm)
	kernel=arm-vmlinuz initrd=arm-initramfs.cpio tag=arm-
	qemu=qemu-system-arm serial=ttyAMA0
	;;
mipsel | mips64el)
	kernel=$arch-vmlinuz initrd=$arch-initramfs.cpio tag=$arch-
	qemu=qemu-system-mips64el serial=ttyS0 cpus=1 mem=256 doorbell=off
	;;
*)
	echo "qemu-run-test.sh: unknown architecture $arch" >&2
	exit 2
	;;
esac
append="console=$serial rdinit=/init panic=-1"
boot="--vmm qemu --accel tcg --kernel $work/$kernel"
boot="$boot --initrd $work/$initrd"
out=$work/${tag}qemu-$mode.out
err=$work/${tag}qemu-$mode.err
device=ivshmem-doorbell
device_option="-device ivshmem-doorbell,chardev=hypermem,vectors=1"
[ $doorbell = on ] || {
	device=ivshmem-plain
	device_option="-device ivshmem-plain,memdev=hypermem-mem"
}
case $mode in
polled-*)
	mode=${mode#polled-} doorbell=off device=ivshmem-plain
	device_option="-device ivshmem-plain,memdev=hypermem-mem"
	boot="$boot --qemu-doorbell off"
	;;
esac
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

# QEMU's command line names the socket in TMPDIR.
no_qemu_left() {
	! pgrep -f "$qemu .*$tmp" >/dev/null
}

command -v $qemu >/dev/null || {
	echo "$qemu is not installed (scripts/install-deps)"
	exit 1
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export TMPDIR="$tmp"

# A previous run's files would satisfy wait_for before the background run
# has opened (and emptied) them.
rm -f "$out" "$err"

# stdin from /dev/null: a terminal would become the guest's console input.
run_guest() {
	start=$(date +%s)
	"$run" "$@" </dev/null >"$out" 2>"$err"
	rc=$?
	echo "# exit code $rc after $(($(date +%s) - start)) s; stderr:"
	sed 's/^/# /' "$err"
}

check_nothing_left() {
	check "no QEMU left running" no_qemu_left
	check "nothing left in TMPDIR" test -z "$(ls -A "$tmp")"
}

test_full() {
	# shellcheck disable=SC2086 # $boot is words
	run_guest $boot --append "$append" --cpus $cpus --timeout 240 \
		"$scripts/ioctl_interaction.lua"
	vcpus="$cpus vCPU" && [ $cpus = 1 ] || vcpus="${vcpus}s"
	check "QEMU boots the kernel under TCG" has "$err" \
		"booting $work/$kernel under QEMU ($arch, TCG): $vcpus, $mem MiB"
	check "its command line has the $device device" has "$err" \
		"$device_option"
	[ $doorbell = on ] || check "the module sees that the host polls" \
		has "$out" "no doorbell: the host polls"
	check "each CPU registers over ivshmem" has "$out" \
		"loaded: $cpus of $cpus cpus have a host, transport ivshmem"
	check "cpu0 raises the user event" has "$out" "cpu0 user event HMIO"
	[ $cpus = 1 ] ||
		check "cpu1 raises the user event" has "$out" "cpu1 user event HMIO"
	check "the script reads each ifreq" test \
		"$(grep -c 'read  name "hm0" value 42' "$out")" = $cpus
	check "host side passes on each CPU" test \
		"$(grep -c 'host side: PASS' "$out")" = $cpus
	check "guest side passes" has "$out" "HMTEST RESULT PASS"
	check "reboot -f ends QEMU, exit 0" test $rc -eq 0
	check "summary says so" has "$err" "guest powered off or reset"
}

# The same guest and script with QEMU on KVM (a user's usual QEMU).
test_kvm() {
	[ -r /dev/kvm ] || {
		echo "no /dev/kvm: the linux suite runs in scripts/with-kvm"
		exit 1
	}
	start=$(date +%s)
	# shellcheck disable=SC2086 # $boot is words
	run_guest ${boot%--accel tcg*} --accel kvm ${boot#*--accel tcg} \
		--append "$append" --cpus 2 --timeout 240 \
		"$scripts/ioctl_interaction.lua"
	check "QEMU boots the kernel on KVM" has "$err" \
		"booting $work/$kernel under QEMU ($arch, KVM): 2 vCPUs, 512 MiB"
	check "QEMU's command line asks for KVM" has "$err" "-accel kvm"
	check "both CPUs register over ivshmem" has "$out" \
		"loaded: 2 of 2 cpus have a host, transport ivshmem"
	check "host side passes twice" test \
		"$(grep -c 'host side: PASS' "$out")" = 2
	check "guest side passes" has "$out" "HMTEST RESULT PASS"
	check "exit 0" test "$rc" -eq 0
	echo "# boot to the end under QEMU with KVM: $(($(date +%s) - start)) s"
	check_nothing_left
}

test_stop() {
	# shellcheck disable=SC2086
	run_guest $boot --append "$append" --timeout 240 "$here/qemu-stop.lua"
	check "the script sees the first user event" has "$out" \
		"stopping at user event 0x484d494f"
	check "hm.stop() ends the run, exit 0" test $rc -eq 0
	check "summary says the script stopped it" has "$err" \
		"stopped by the script"
	check "the guest is not let finish" lacks "$out" "HMTEST RESULT"
}

# qemu-stall.lua run by "$@" in the background ($pid), its QEMU ($qemu_pid)
# stopped (SIGSTOP) once the script reads.
start_stalled() {
	# shellcheck disable=SC2086
	"$@" $boot --append "$append" --timeout 240 "$here/qemu-stall.lua" \
		</dev/null >"$out" 2>"$err" &
	pid=$!
	wait_for "$out" "reading" 1200
	qemu_pid=$(pgrep -f "$qemu .*$tmp" | head -n 1)
	check "the event starts, QEMU runs" test -n "$qemu_pid"
	[ -n "$qemu_pid" ] && kill -STOP "$qemu_pid"
}

# QEMU stopped inside an event for longer than the deadline: the read
# fails with a timeout, the run goes on, and the guest, let go on, gets
# the event's end and finishes.
test_stall() {
	start_stalled "$run"
	sleep 4
	[ -n "$qemu_pid" ] && kill -CONT "$qemu_pid"
	wait $pid
	rc=$?
	echo "# exit code $rc; stderr:"
	sed 's/^/# /' "$err"
	check "the read that waited fails with a timeout" grep -Eq \
		'^after [0-9]+ reads: read_int: 0x[0-9a-f]+: Connection timed out$' \
		"$out"
	check "the guest goes on to its end" has "$out" "HMTEST RESULT"
	check "exit 0" test $rc -eq 0
}

# Ctrl-C while the script's read waits on QEMU (stopped, so that it
# cannot answer): the run ends at once, not at the read's deadline.
test_interrupt() {
	# A background job ignores SIGINT; a terminal's Ctrl-C meets the
	# default.
	start_stalled env --default-signal=INT "$run"
	sleep 0.5
	start=$(now_ms)
	kill -INT $pid
	wait $pid
	rc=$?
	elapsed=$(($(now_ms) - start))
	echo "# exit code $rc after $elapsed ms; stderr:"
	sed 's/^/# /' "$err"
	check "the run ends within a second of SIGINT" test $elapsed -lt 1000
	check "the read that waited is canceled" grep -Eq \
		'^after [0-9]+ reads: read_int: 0x[0-9a-f]+: Operation canceled$' \
		"$out"
	check "exit 0" test $rc -eq 0
	check "the summary says interrupted" has "$err" "interrupted"
}

test_timeout() {
	# shellcheck disable=SC2086
	run_guest $boot --append "$append" --timeout 4 \
		"$scripts/ioctl_interaction.lua"
	check "exit 5" test $rc -eq 5
	check "no CPU registered yet: it says what to check" has "$err" \
		"no guest CPU registered within 4 s of the boot (--timeout): check that hypermem is loaded"
}

# The person's QEMU: hypermem-run waits for it and says what to add.
test_socket() {
	sock=$tmp/hm.sock
	"$run" --qemu-socket "$sock" --qemu-doorbell $doorbell --timeout 240 \
		"$scripts/ioctl_interaction.lua" </dev/null >"$out" 2>"$err" &
	pid=$!
	wait_for "$err" "start it with: " 300
	options=$(sed -n 's/.*; start it with: //p' "$err")
	check "hypermem-run says which options to add" test -n "$options"
	check "among them the $device device" has "$err" "$device_option"
	if [ -z "$options" ]; then
		kill "$pid"
		wait $pid
		sed 's/^/# /' "$err"
		return
	fi
	eval "set -- $options"
	qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none \
		-serial "file:$work/qemu-socket.console" -no-reboot \
		-kernel "$work/bzImage" -initrd "$work/initramfs.cpio" \
		-append "$append" "$@" </dev/null >"$work/qemu-socket.qemu" 2>&1
	qemu_rc=$?
	wait $pid
	rc=$?
	echo "# QEMU exit code $qemu_rc, hypermem-run's $rc; stderr:"
	sed 's/^/# /' "$err" "$work/qemu-socket.qemu"
	check "the module registers over ivshmem" \
		has "$work/qemu-socket.console" \
		"loaded: 1 of 1 cpus have a host, transport ivshmem"
	check "host side passes" has "$out" "host side: PASS"
	check "guest side passes" has "$work/qemu-socket.console" \
		"HMTEST RESULT PASS"
	check "QEMU exits 0" test $qemu_rc -eq 0
	check "QEMU's exit ends the run, exit 0" test $rc -eq 0
	check "summary says so" has "$err" "QEMU disconnected"
	check "the socket is gone" test ! -e "$sock"
}

test_ps() {
	# shellcheck disable=SC2086
	PS_WHEN=hm-ioctl-test run_guest $boot --append "$append" \
		--timeout 240 "$scripts/ps.lua"
	check "the tree is taken when hm-ioctl-test starts" grep -q \
		'^hm-ioctl-test started (pid [0-9]*, /hm-ioctl-test):$' "$out"
	check "init is pid 1" grep -q '^ *1 *0 *0 [A-Z]  init$' "$out"
	check "hm-ioctl-test is init's child" grep -q \
		'^ *[0-9]* *1 *0 [A-Z]    hm-ioctl-test$' "$out"
	check "kernel threads in brackets" grep -q '^ *2 .*\[kthreadd\]$' \
		"$out"
	check "exit 0" test $rc -eq 0
}

test_process_info() {
	# shellcheck disable=SC2086
	run_guest $boot --append "$append" --timeout 240 \
		"$scripts/process_info.lua"
	check_process_info "$out"
}

# Process events (hm.on_process): the init's dmesg, exec'd by busybox's
# shell in a forked child, seen in its new image, then its exit.
test_process_events() {
	# shellcheck disable=SC2086
	run_guest $boot --append "$append" --timeout 240 \
		"$here/../cli/scripts/process_events.lua"
	check "the exec of dmesg, in its new image" grep -Eq \
		'^exec: tid [0-9]+ tgid [0-9]+ was [0-9]+, exe: /bin/busybox dmesg$' \
		"$out"
	check "its exit" grep -Eq '^exit: tid [0-9]+ status 0, dmesg$' "$out"
	check "forks" has "$out" "any: fork nr 3 phase process"
	check "exit 0" test $rc -eq 0
}

test_which_mapping() {
	# shellcheck disable=SC2086
	MAPPING_SYSCALL=read run_guest $boot --append "$append" \
		--timeout 240 "$scripts/which_mapping.lua"
	check_which_mapping "$out"
}

# The original's ioctl interaction plugin, in Python, on a real ioctl.
test_python() {
	# shellcheck disable=SC2086
	run_guest $boot --append "$append hmsiocdev" --timeout 240 \
		"$plugins/ioctl_interaction.py"
	check "the plugin reads the request's name" has "$out" \
		"plugins.ioctl_interaction: Interface: hm0"
	check "and its value" has "$out" "plugins.ioctl_interaction: Data: 0x2a"
	check "and the process's argv" has "$out" \
		"plugins.ioctl_interaction: Found process: ['/hm-siocdev-test']"
	check "the guest sees what the plugin wrote" has "$out" \
		"HMTEST siocdevprivate PASS"
	check "guest side passes" has "$out" "HMTEST RESULT PASS"
	check "exit 0" test $rc -eq 0
}

# Event control over ivshmem. control.lua leaves hm-ioctl-test
# unanswered: its FAIL lines are expected, the result too.
test_control() {
	# shellcheck disable=SC2086
	run_guest $boot --append "$append hmcontrol" --timeout 240 \
		"$here/control.lua"
	check "the module registers over ivshmem" has "$out" \
		"loaded: 1 of 1 cpus have a host, transport ivshmem"
	if [ $arch = arm ]; then
		# 32-bit ARM's syscall_trace_enter() calls the number it read
		# before the tracepoint: the module offers no skip there.
		check "the skip is refused: the guest cannot" grep -q \
			'^control: cannot skip mkdir /hm-skipped: ' "$out"
		check "so the mkdir ran" has "$out" \
			"HMTEST FAIL: control: the skipped mkdir made its directory"
		check "the host changed the count" lacks "$out" \
			"write's count was not set"
		check "and lseek's return value" lacks "$out" \
			"return value was not replaced"
	else
		check "the host changed a count, a return and skipped a mkdir" \
			has "$out" "HMTEST control PASS"
		check "the script skipped it" grep -q \
			'^control: skipped mkdir /hm-skipped$' "$out"
	fi
	check "the host wrote /hm-written" has "$out" "HMTEST write_file PASS"
	check "reboot -f ends the run, exit 0" test $rc -eq 0
}

# A VM of our own with a QMP socket, its console in $console; its pid in
# $vm. $1: the machine's options (a q35 with a free root port for the
# device, or another); the rest: QEMU's other options.
start_qemu() {
	machine=$1
	shift
	qmp=$tmp/vm.qmp
	console=$work/qemu-$mode.console
	rm -f "$console"
	# shellcheck disable=SC2086 # $machine: options
	qemu-system-x86_64 $machine -accel tcg -m 512 -nodefaults \
		-display none -serial "file:$console" -no-reboot \
		-qmp "unix:$qmp,server=on,wait=off" "$@" \
		</dev/null >"$work/qemu-$mode.qemu" 2>&1 &
	vm=$!
	trap 'kill $vm 2>/dev/null; rm -rf "$tmp"' EXIT
}

q35_port="-machine q35 -device pcie-root-port,id=hmport,chassis=1,pref64-reserve=8M"

# The test guest: $1 what its init and the module are told; $2 the
# machine (default q35 with the free port).
start_vm() {
	start_qemu "${2:-$q35_port}" -kernel "$work/bzImage" \
		-initrd "$work/initramfs.cpio" -append "$append $1"
	wait_for "$console" "HMTEST waiting for hosts" 1800
}

qmp() {
	timeout 20 python3 "$here/qmp.py" "$qmp" "$@"
}

# 0x1af4:0x1110, ivshmem, among the VM's PCI devices.
no_ivshmem() {
	pci=$(qmp query-pci) &&
		! echo "$pci" | grep -q '"vendor": 6900, "device": 4368'
}

stop_vm() {
	qmp quit >/dev/null
	wait $vm
	rm -f "$qmp"
	echo "# QEMU's output:"
	sed 's/^/# /' "$work/qemu-$mode.qemu"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# One attach: $1 its number, $2 where the device goes (default the free
# root port). The first event's time after device_add's return, which
# the "attached" line follows.
attach_once() {
	rm -f "$out" "$err"
	start=$(now_ms)
	"$run" --attach "$qmp" --qemu-doorbell $doorbell --timeout 120 \
		"$here/qemu-stop.lua" </dev/null >"$out" 2>"$err" &
	pid=$!
	wait_for "$err" "attached to QEMU at" 1200
	plugged=$(now_ms)
	wait_for "$out" "stopping at user event" 1200
	echo "# attach $1: device_add done after $((plugged - start)) ms," \
		"first event $(($(now_ms) - plugged)) ms later"
	wait $pid
	rc=$?
	echo "# exit code $rc after $(($(now_ms) - start)) ms; stderr:"
	sed 's/^/# /' "$err"
	check "attach $1: the device goes on ${2:-hmport}" has "$err" \
		"$device on ${2:-hmport}"
	check "attach $1: the script sees a user event" has "$out" \
		"stopping at user event 0x484d494f"
	check "attach $1: exit 0" test $rc -eq 0
	check "attach $1: it says the device is unplugged" has "$err" \
		"device and chardev removed, the VM runs on"
	check "attach $1: QEMU has no ivshmem device left" no_ivshmem
	check "attach $1: nor its memory" no_memory_object
}

# The polled device's memory-backend-file, removed at the detach.
no_memory_object() {
	objects=$(qmp qom-list '{"path": "/objects"}') &&
		! echo "$objects" | grep -q '"name": "hypermem"'
}

test_attach() {
	start_vm "hypermem.transport=ivshmem hypermem.hotplug=1 hmattach"
	check "the module waits for the device" has "$console" \
		"waiting for an ivshmem-doorbell device to be plugged in"
	attach_once 1
	attach_once 2
	check "the guest registered at each plug" test \
		"$(grep -c 'device plugged in: 1 of 1 cpus have a host' \
		   "$console")" = 2
	check "and let go at each unplug" test \
		"$(grep -c 'the device was unplugged' "$console")" = 2
	check "the VM still runs" has_running
	stop_vm
}

has_running() {
	qmp query-status | grep -q '"status": "running"'
}

test_attach_silent() {
	start_vm "hmnomodule hmattach"
	start=$(now_ms)
	"$run" --attach "$qmp" --timeout 10 "$scripts/ioctl_interaction.lua" \
		</dev/null >"$out" 2>"$err"
	rc=$?
	elapsed=$(($(now_ms) - start))
	echo "# exit code $rc after $elapsed ms; stderr:"
	sed 's/^/# /' "$err"
	check "exit 5" test $rc -eq 5
	check "one line says what to check" grep -q \
		"no guest CPU registered within 10 s of the attach (--timeout): check that hypermem is loaded in the guest .*lspci -d 1af4:1110.*dmesg | grep hypermem" \
		"$err"
	check "within the timeout and the unplug" test $elapsed -lt 45000
	check "QEMU has no ivshmem device left" no_ivshmem
	check "the VM still runs" has_running
	stop_vm
}

# A realistic guest: Debian from its disk, inspected while systemd runs.
test_disk() {
	disk_image || return
	# shellcheck disable=SC2086 # "IMAGE VMLINUZ INITRD"
	set -- $made
	run_guest --vmm qemu --accel tcg --drive "$1" --kernel "$2" \
		--initrd "$3" --append "root=/dev/vda rw console=ttyS0 panic=-1" \
		--timeout 240 "$here/disk-service.lua"
	grep -E '^(first event|round [0-9]+:) ' "$out" |
		sed 's/^/# /'
	check "QEMU boots the image's kernel under TCG" has "$err" \
		"booting $2 under QEMU (x86_64, TCG)"
	check "with the image as its disk" has "$err" \
		"-drive file=$1,if=virtio,format=raw,snapshot=on"
	check "the module registers over ivshmem" has "$out" \
		"loaded: 1 of 1 cpus have a host, transport ivshmem"
	check "hm-service runs from its disk" grep -q \
		'^hm-service (pid [0-9]*, /usr/local/sbin/hm-service):$' "$out"
	check "under systemd, pid 1" grep -q '^  pid 1 ppid 0 uid 0 systemd$' \
		"$out"
	check "as its child" grep -q '^  pid [0-9]* ppid 1 uid 0 hm-service$' \
		"$out"
	check "the script reads the service's ifreq" has "$out" \
		'read  name "hm0" value 42'
	check "host side passes" has "$out" "host side: PASS"
	check "the service sees what the host wrote" has "$out" \
		'ioctl PASS: name "test" value 0x12345678'
	check "and passes its round, the file too" grep -Eq \
		'hm-service\[[0-9]+\]: round [0-9]+ PASS$' "$out"
	check "the script sees what it writes to its file" grep -q \
		'^  writes "round [0-9]*" to /var/lib/hm-service/round$' "$out"
	check "the script stops the run, exit 0" test $rc -eq 0
	check "summary says so" has "$err" "stopped by the script"
}

# q35 without a free root port: QEMU refuses the device on its root
# bus; its message, what the VM needs, nothing left plugged, the VM runs.
test_attach_refused() {
	start_vm "hypermem.transport=ivshmem hypermem.hotplug=1 hmattach" \
		"-machine q35"
	"$run" --attach "$qmp" --timeout 60 "$here/qemu-stop.lua" \
		</dev/null >"$out" 2>"$err"
	rc=$?
	echo "# exit code $rc; stderr:"
	sed 's/^/# /' "$err"
	check "QEMU's own message" grep -q \
		"QEMU at $qmp refused device_add of the ivshmem device: .*hotplug" "$err"
	check "what the VM needs" has "$err" \
		"start it with a free root port (-device pcie-root-port"
	check "exit 3" test $rc -eq 3
	check "QEMU has no ivshmem device" no_ivshmem
	check "nor our chardev" no_chardev
	check "the VM still runs" has_running
	stop_vm
}

no_chardev() {
	chardevs=$(qmp query-chardev) &&
		! echo "$chardevs" | grep -q '"label": "hypermem'
}

# A pc machine takes the device on its root bus (ACPI hot-plug).
test_attach_pc() {
	start_vm "hypermem.transport=ivshmem hypermem.hotplug=1 hmattach" \
		"-machine pc"
	attach_once 1 "the root bus"
	check "the guest registered" has "$console" \
		"device plugged in: 1 of 1 cpus have a host"
	check "and let go at the unplug" has "$console" \
		"the device was unplugged"
	check "the VM still runs" has_running
	stop_vm
}

# The Debian disk VM, running for a while before anyone attaches: its
# hm-service has run rounds without a host (FAIL), hypermem is not
# loaded. The attach plugs the device in and udev loads the module by
# its modalias; ps.lua shows the processes under systemd and ends the
# run; a second attach runs the ioctl interaction plugin (Python) on
# the service until Ctrl-C, which unplugs the device; the VM runs on.
test_disk_attach() {
	disk_image || return
	# shellcheck disable=SC2086 # "IMAGE VMLINUZ INITRD"
	set -- $made
	start_qemu "$q35_port" -kernel "$2" -initrd "$3" \
		-append "root=/dev/vda rw console=ttyS0 panic=-1" \
		-drive "file=$1,if=virtio,format=raw,snapshot=on"
	booted=$(now_ms)
	wait_for_re "$console" 'hm-service\[[0-9]+\]: round 1 FAIL' 2400
	echo "# hm-service's first round, without a host: after" \
		"$(($(now_ms) - booted)) ms"
	check "nothing loaded hypermem at boot" lacks "$console" \
		"hypermem: loaded"

	rm -f "$out" "$err"
	start=$(now_ms)
	PS_WHEN=now "$run" --attach "$qmp" --timeout 120 \
		"$scripts/ps.lua" </dev/null >"$out" 2>"$err"
	rc=$?
	echo "# attach 1 (ps.lua): exit code $rc after $(($(now_ms) - start))" \
		"ms; stdout and stderr:"
	sed 's/^/# /' "$out" "$err"
	check "attach 1: the device goes on the free root port" has "$err" \
		"ivshmem-doorbell on hmport"
	check_disk_ps "$out" "$console"
	check "attach 1: exit 0" test $rc -eq 0
	check "attach 1: the device is unplugged" has "$err" \
		"device and chardev removed, the VM runs on"
	check "attach 1: QEMU has no ivshmem device left" no_ivshmem

	rm -f "$out" "$err"
	start=$(now_ms)
	"$run" --attach "$qmp" --timeout 120 \
		"$plugins/ioctl_interaction.py" </dev/null >"$out" 2>"$err" &
	pid=$!
	wait_for "$err" "attached to QEMU at" 1200
	plugged=$(now_ms)
	wait_for "$out" "plugins.ioctl_interaction: Found pid:" 1200
	echo "# attach 2 (ioctl_interaction.py): device_add done after" \
		"$((plugged - start)) ms, the plugin's round" \
		"$(($(now_ms) - plugged)) ms later; Ctrl-C"
	kill -INT $pid
	wait $pid
	rc=$?
	echo "# exit code $rc after $(($(now_ms) - start)) ms; stdout and stderr:"
	sed 's/^/# /' "$out" "$err"
	check_disk_plugin "$out" "$console"
	check "Ctrl-C unplugs the device" has "$err" \
		"device and chardev removed, the VM runs on"
	check "attach 2: QEMU has no ivshmem device left" no_ivshmem
	check "the guest let go at each unplug" test \
		"$(grep -c 'the device was unplugged' "$console")" = 2
	check "the VM still runs" has_running
	rounds=$(grep -c 'hm-service\[[0-9]*\]: round' "$console")
	check "and so does hm-service" wait_for_re "$console" \
		"hm-service\\[[0-9]+\\]: round $((rounds + 1)) " 600
	stop_vm
}

case $mode in
attach) test_attach ;;
attach-refused) test_attach_refused ;;
attach-pc) test_attach_pc ;;
disk-attach) test_disk_attach ;;
attach-silent) test_attach_silent ;;
full) test_full ;;
kvm) test_kvm ;;
stop) test_stop ;;
stall) test_stall ;;
interrupt) test_interrupt ;;
timeout) test_timeout ;;
socket) test_socket ;;
ps) test_ps ;;
process-info) test_process_info ;;
process-events) test_process_events ;;
which-mapping) test_which_mapping ;;
python) test_python ;;
control) test_control ;;
disk) test_disk ;;
*)
	echo "qemu-run-test.sh: unknown mode $mode" >&2
	exit 2
	;;
esac
check_nothing_left
[ $failures -eq 0 ] || {
	echo "# ---- stdout ----"
	cat "$out"
	echo "# ---- end ----"
}
[ $failures -eq 0 ]
