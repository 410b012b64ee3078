#!/bin/sh
# SPDX-License-Identifier: MIT
# hypermem-run --kernel as a user runs it, with ioctl_interaction.lua.
#
# The guest image is the build's (scripts/make-linux-guest, in WORK_DIR).
#
#   vmlinux  Debian's vmlinux, no initrd: the console has the banner, every
#            e820 range and the command line hypermem-run says it gave;
#            where KVM emulates kernel code the run ends with the
#            diagnosis (exit 3), elsewhere panic=-1 resets (exit 0).
#   full     make-linux-guest's image: the module registers, the script
#            answers hm-ioctl-test's user event and both sides pass.
#   probes   that image with hmprobes and SCRIPT probes.lua: the module's
#            syscall probes follow the subscription.
#   python   the same image, hm-siocdev-test alone, and SCRIPT the
#            original's ioctl interaction plugin in Python, with PLUGIN
#            (penguin's read logger) in the same run.
#   arm64    the arm64 build's Image and initramfs (LINUX_BOOT_TEST is
#            not used): two vCPUs, the module registers each by HVC and
#            the script answers hm-ioctl-test's event on each.
#   arm64-process-info, arm64-which-mapping
#            that guest, one vCPU, and SCRIPT process_info.lua or
#            which_mapping.lua on read(2): syscalls by arm64's numbers.
#   arm64-control
#            that guest with hmcontrol, SCRIPT control.lua: event control
#            (an argument, a return value, a skip) and a file written.
#
# usage: hypermem-run-test.sh MODE HYPERMEM_RUN LINUX_BOOT_TEST WORK_DIR
#                             SCRIPT [PLUGIN]
set -u
mode=$1 run=$2 host_test=$3 work=$4 script=$5 plugin=${6:-}
append="console=ttyS0 earlyprintk=ttyS0 lpj=1000000 tsc=reliable"
append="$append no_timer_check panic=-1 hypermem.test=hypermem-run-7"
why="This host's KVM emulates guest kernel code and cannot run this guest"
skip() {
	echo "SKIP: $*"
	exit 77
}

# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

# stdin from /dev/null: a terminal would become the guest's console input.
run_guest() {
	"$run" "$@" </dev/null >"$work/run.out" 2>"$work/run.err"
	rc=$?
	echo "# exit code $rc; stderr:"
	sed 's/^/# /' "$work/run.err"
}

show_console() {
	echo "# ---- stdout ----"
	cat "$work/run.out"
	echo "# ---- end ----"
}

# Every usable range hypermem-run reports is printed by the kernel, and no
# other. Reserved ones are not compared: the kernel reserves 0xa0000-0xfffff
# itself and prints the merged range.
check_e820() {
	given=$(sed -n 's/^hypermem-run: e820: \(.*\] usable\)$/\1/p' \
		"$work/run.err")
	check "hypermem-run reports usable e820 ranges" test -n "$given"
	printf '%s\n' "$given" | while IFS= read -r range; do
		has "$work/run.out" "BIOS-e820: $range" ||
			echo "# kernel does not print BIOS-e820: $range"
	done >"$work/e820.missing"
	check "kernel prints every usable e820 range given" \
		test ! -s "$work/e820.missing"
	cat "$work/e820.missing"
	check "kernel prints as many usable ranges as given" test \
		"$(grep -c 'BIOS-e820: \[mem .*\] usable$' "$work/run.out")" = \
		"$(printf '%s\n' "$given" | wc -l)"
}

is_append() {
	[ "$1" = "$append" ] || [ "$1" = "$append noxsave clearcpuid=141" ]
}

# What the kernel got: --append, plus what linux-boot adds to hide CPU
# features where KVM emulates kernel code.
check_cmdline() {
	given=$(sed -n 's/^hypermem-run: command line: //p' "$work/run.err")
	printed=$(sed -n 's/^\[guest\] .*Command line: //p' "$work/run.out")
	check "hypermem-run reports --append as the command line" \
		is_append "$given"
	check "kernel prints that command line" test "$printed" = "$given"
}

test_vmlinux() {
	run_guest --kernel "$work/vmlinux" --append "$append" --timeout 200 \
		"$script"
	check "vmlinux entered through PVH" \
		has "$work/run.err" "(vmlinux, PVH entry)"
	check "banner \"Linux version\"" has "$work/run.out" "Linux version "
	check_cmdline
	check_e820
	if "$host_test" host >/dev/null; then
		check "no root file system: panic=-1 resets, exit 0" \
			test $rc -eq 0
		check "summary says so" has "$work/run.err" "guest reset"
	else
		check "the run ends with the diagnosis, exit 3" test $rc -eq 3
		check "diagnosis has the instruction bytes" grep -q \
			'instruction bytes at RIP: [0-9a-f][0-9a-f]' \
			"$work/run.err"
		check "diagnosis says why" has "$work/run.err" \
			"$why"
	fi
}

# Both doorbells, one vCPU: the CPU registers and raises its event. Two
# vCPUs are linux_full's (linux-boot-test); a two-CPU scripts/with-kvm VM
# running two nested vCPUs is what has frozen or died there, and this test
# is about hypermem-run and its script.
test_full() {
	"$host_test" host || exit $?
	for transport in pio vmcall; do
		echo "# transport $transport"
		run_guest --kernel "$work/vmlinux" \
			--initrd "$work/initramfs.cpio" --append \
			"console=ttyS0 rdinit=/init panic=-1 hypermem.transport=$transport" \
			--cpus 1 --timeout 240 "$script"
		check "$transport: the module registers" \
			has "$work/run.out" \
			"loaded: 1 of 1 cpus have a host, transport $transport"
		check "$transport: cpu0 raises the user event" \
			has "$work/run.out" "cpu0 user event HMIO"
		check "$transport: it reads the ifreq" has "$work/run.out" \
			'read  name "hm0" value 42'
		check "$transport: host side passes" \
			has "$work/run.out" "host side: PASS"
		check "$transport: guest side passes" \
			has "$work/run.out" "HMTEST RESULT PASS"
		check "$transport: reboot -f ends the run, exit 0" test $rc -eq 0
		[ $failures -eq 0 ] || break
	done
}

# The syscall probes come and go with the subscription: none while
# probes.lua hooks only a user event, registered once its handler hooks
# openat, and the openat made then raised.
test_probes() {
	"$host_test" host || exit $?
	run_guest --kernel "$work/vmlinux" --initrd "$work/initramfs.cpio" \
		--append "console=ttyS0 rdinit=/init panic=-1 hmprobes" \
		--cpus 1 --timeout 240 "$script"
	check "no syscall probes while no hook wants a syscall" \
		has "$work/run.out" "HMTEST probes without a syscall hook: N"
	check "the user event reaches the script" \
		has "$work/run.out" "probes: user event"
	check "the probes are registered once the script hooks openat" \
		has "$work/run.out" "HMTEST probes with one: Y"
	check "the openat made then is raised" \
		has "$work/run.out" "probes: openat /hm-probed"
	check "reboot -f ends the run, exit 0" test $rc -eq 0
}

# Two vCPUs here: the arm64 VM has held two nested ones in every run.
test_arm64() {
	run_guest --kernel "$work/Image" --initrd "$work/initramfs.cpio" \
		--append "console=ttyS0 rdinit=/init panic=-1" \
		--cpus 2 --timeout 500 "$script"
	check "booted as an arm64 Image" has "$work/run.err" "(arm64 Image)"
	check "the module registers both CPUs by HVC" has "$work/run.out" \
		"loaded: 2 of 2 cpus have a host, transport hvc"
	for cpu in 0 1; do
		check "cpu$cpu raises the user event" \
			has "$work/run.out" "cpu$cpu user event HMIO"
	done
	check "the script reads the ifreq" has "$work/run.out" \
		'read  name "hm0" value 42'
	check "host side passes on both CPUs" test \
		"$(grep -c 'host side: PASS' "$work/run.out")" -eq 2
	check "guest side passes" has "$work/run.out" "HMTEST RESULT PASS"
	check "reboot -f ends the run, exit 0" test $rc -eq 0
}

# The ioctl interaction alone would pass with x86's syscall numbers: these
# scripts subscribe to execve and read by name.
test_arm64_script() {
	MAPPING_SYSCALL=read run_guest --kernel "$work/Image" \
		--initrd "$work/initramfs.cpio" \
		--append "console=ttyS0 rdinit=/init panic=-1" --cpus 1 \
		--timeout 500 "$script"
	"check_${1}" "$work/run.out"
}

# control.lua leaves hm-ioctl-test unanswered: its FAIL lines are
# expected, the result too.
test_arm64_control() {
	run_guest --kernel "$work/Image" --initrd "$work/initramfs.cpio" \
		--append "console=ttyS0 rdinit=/init panic=-1 hmcontrol" \
		--cpus 1 --timeout 500 "$script"
	check "the module offers event control and skip" grep -q \
		'hypermem: cpu 0: host accepted 16 pages, features 0x7ffff' \
		"$work/run.out"
	check "the host changed a count, a return and skipped a mkdirat" \
		has "$work/run.out" "HMTEST control PASS"
	check "the script skipped it" has "$work/run.out" \
		"control: skipped mkdir /hm-skipped"
	check "the host wrote /hm-written" has "$work/run.out" \
		"HMTEST write_file PASS"
	check "reboot -f ends the run, exit 0" test $rc -eq 0
}

# The original's ioctl interaction plugin, in Python, on a real ioctl.
test_python() {
	"$host_test" host || exit $?
	run_guest --kernel "$work/vmlinux" --initrd "$work/initramfs.cpio" \
		--append "console=ttyS0 rdinit=/init panic=-1 hmsiocdev" \
		--timeout 240 "$script" ${plugin:+"$plugin"}
	check "the module registers" has "$work/run.out" \
		"loaded: 1 of 1 cpus have a host"
	check "the plugin reads the request's name" has "$work/run.out" \
		"plugins.ioctl_interaction: Interface: hm0"
	check "and its value" has "$work/run.out" \
		"plugins.ioctl_interaction: Data: 0x2a"
	check "and the process's argv" has "$work/run.out" \
		"plugins.ioctl_interaction: Found process: ['/hm-siocdev-test']"
	check "the guest sees what the plugin wrote" has "$work/run.out" \
		"HMTEST siocdevprivate PASS"
	check "penguin's read logger, in the same run, names what was read" \
		has "$work/run.out" "plugins.read_logger: ['"
	check "guest side passes" has "$work/run.out" "HMTEST RESULT PASS"
	check "reboot -f ends the run, exit 0" test $rc -eq 0
}

[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"

case $mode in
vmlinux)
	test_vmlinux
	;;
full)
	test_full
	;;
probes)
	test_probes
	;;
python)
	test_python
	;;
arm64)
	test_arm64
	;;
arm64-process-info)
	test_arm64_script process_info
	;;
arm64-which-mapping)
	test_arm64_script which_mapping
	;;
arm64-control)
	test_arm64_control
	;;
*)
	echo "hypermem-run-test.sh: unknown mode $mode" >&2
	exit 2
	;;
esac
show_console
[ $failures -eq 0 ]
