#!/bin/sh
# SPDX-License-Identifier: MIT
# hypermem-run serving a guest that libvirt starts: a private libvirtd
# creates a transient type='qemu' domain (TCG) from DOMAIN_XML
# (examples/libvirt/hypermem-domain.xml), whose <shmem> device connects
# QEMU's ivshmem-doorbell to the socket hypermem-run --qemu-socket listens
# on; ioctl_interaction.lua passes on both sides and the guest's reboot
# ends the domain, QEMU and the run.
#
# The libvirtd is the session instance (qemu:///session) with all its
# state, configuration and sockets in a temporary folder (XDG_*), so that
# the test neither needs nor disturbs a system libvirtd. libvirtd as root
# is always the system instance, so as root libvirtd, virsh and QEMU run
# as nobody; hypermem-run stays the caller's, serves nobody's QEMU
# (--qemu-user) and makes its socket connectable by anyone (umask 0), in
# a folder only nobody can write.
#
# Mode disk: the Debian disk VM of scripts/make-disk-image (made here
# when the cache has none; root) as a user's running domain
# (hypermem-disk-domain.xml, its disk a qcow2 overlay), without the
# device. Its hm-service runs rounds without a host; then, twice,
# hypermem-run listens, `virsh attach-device --live` plugs
# hypermem-shmem.xml in, udev loads the module by its modalias, the run
# goes (ps.lua, then the ioctl interaction plugin in Python until
# Ctrl-C), and `virsh detach-device --live` takes the device out again;
# the domain runs on.
#
# usage: libvirt-test.sh boot|disk HYPERMEM_RUN WORK_DIR EXAMPLES
#   EXAMPLES: the examples folder (scripts/, plugins/, libvirt/)
set -u
mode=$1 run=$2 work=$3 examples=$4
scripts=$examples/scripts
out=$work/libvirt-$mode.out
err=$work/libvirt-$mode.err
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

for program in libvirtd virsh virt-xml-validate qemu-system-x86_64 qemu-img; do
	PATH=$PATH:/usr/sbin command -v $program >/dev/null || {
		echo "$program is not installed (scripts/install-deps)"
		exit 1
	}
done
tmp=$(mktemp -d) || exit 1
sock=$tmp/hm.sock
console=$tmp/console.log
xml=$tmp/domain.xml
uri=qemu:///session
case $mode in
boot) domain=hypermem-guest template=$examples/libvirt/hypermem-domain.xml ;;
disk) domain=hypermem-disk template=$examples/libvirt/hypermem-disk-domain.xml ;;
*)
	echo "libvirt-test.sh: unknown mode $mode" >&2
	exit 2
	;;
esac
qemu_log=$tmp/cache/libvirt/qemu/log/$domain.log

if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$tmp"
	as_libvirt() {
		setpriv --reuid=nobody --regid="$(id -g nobody)" \
			--clear-groups "$@"
	}
	socket_umask=000
	qemu_user="--qemu-user nobody"
else
	as_libvirt() {
		"$@"
	}
	socket_umask=077
	qemu_user=
fi

# The session instance finds everything through XDG_*; LIBVIRT_AUTOSTART=0
# keeps virsh from starting a second libvirtd when this one is not there.
libvirt() {
	as_libvirt env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
		HOME="$tmp" XDG_RUNTIME_DIR="$tmp/run" \
		XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" \
		LIBVIRT_AUTOSTART=0 "$@"
}

virsh_() {
	libvirt timeout 60 virsh -q -c "$uri" "$@"
}

libvirtd_alive() {
	[ -s "$tmp/libvirtd.pid" ] && kill -0 "$(cat "$tmp/libvirtd.pid")" \
		2>/dev/null
}

libvirtd_gone() {
	! libvirtd_alive
}

domain_gone() {
	test -z "$(virsh_ list --all --name)"
}

# within TENTHS COMMAND...: until COMMAND succeeds, TENTHS of a second at
# most; whether it did.
within() {
	tries=$1
	shift
	until "$@"; do
		[ "$tries" -eq 0 ] && return 1
		sleep 0.1
		tries=$((tries - 1))
	done
}

# The domain's QEMU names its files in $tmp.
no_qemu_left() {
	! pgrep -f "qemu-system-x86_64 .*$tmp" >/dev/null
}

# A domain outlives its libvirtd, so it goes first; then libvirtd, which
# --timeout would end anyway 300 s after its last client and domain.
stop_libvirt() {
	if libvirtd_alive; then
		virsh_ destroy "$domain" >/dev/null 2>&1
		kill "$(cat "$tmp/libvirtd.pid")"
		within 100 libvirtd_gone
	fi
	pkill -KILL -f "qemu-system-x86_64 .*$tmp"
	libvirtd_alive && kill -KILL "$(cat "$tmp/libvirtd.pid")"
}

# An interrupted test ends hypermem-run too, which may still be waiting.
pid=
cleanup() {
	stop_libvirt
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}

trap cleanup EXIT
trap 'exit 1' HUP INT TERM
rm -f "$out" "$err"

# No log daemon: QEMU's log goes to a file of libvirtd's.
mkdir -p "$tmp/config/libvirt" "$tmp/run"
echo 'stdio_handler = "file"' >"$tmp/config/libvirt/qemu.conf"
if [ "$mode" = boot ]; then
	cp "$work/bzImage" "$work/initramfs.cpio" "$tmp/"
else
	disk_image || exit 1
	# shellcheck disable=SC2086 # "IMAGE VMLINUZ INITRD"
	set -- $made
	cp "$2" "$tmp/vmlinuz"
	cp "$3" "$tmp/initrd.img"
	# The image where the domain's user can read it: a link (or a copy,
	# on another file system) beside the overlay.
	ln "$1" "$tmp/disk.img" 2>/dev/null ||
		cp --sparse=always "$1" "$tmp/disk.img"
	qemu-img create -q -f qcow2 -b "$tmp/disk.img" -F raw "$tmp/disk.qcow2"
	sed "s|/srv/hypermem|$tmp|g" "$examples/libvirt/hypermem-shmem.xml" \
		>"$tmp/shmem.xml"
fi
sed "s|/srv/hypermem|$tmp|g" "$template" >"$xml"
chmod -R a+rX "$tmp"
# QEMU, as nobody, writes the disk's overlay.
[ "$(id -u)" -eq 0 ] && chown -R nobody "$tmp/config" "$tmp/run" &&
	{ [ "$mode" = boot ] || chown nobody "$tmp/disk.qcow2"; }
chmod 700 "$tmp/run"

libvirt_up() {
	check "the domain's XML is valid" virt-xml-validate "$xml" domain
	check "libvirtd starts" libvirt timeout 60 libvirtd --daemon \
		--timeout 300 --pid-file "$tmp/libvirtd.pid"
}

# hypermem-run --qemu-socket in the background ($pid): env's arguments
# (the script's environment, hypermem-run, its options); once it listens.
listen() {
	rm -f "$out" "$err"
	(
		umask $socket_umask
		exec env "$@"
	) </dev/null >"$out" 2>"$err" &
	pid=$!
	check "hypermem-run listens" wait_for "$err" "start it with: " 300
}

test_boot() {
	start=$(date +%s)
	libvirt_up
	# shellcheck disable=SC2086 # $qemu_user: words
	listen "$run" --qemu-socket "$sock" $qemu_user --timeout 240 \
		"$scripts/ioctl_interaction.lua"
	check "virsh creates the transient domain" virsh_ create "$xml"
	wait $pid
	rc=$?
	pid=
	echo "# hypermem-run's exit code $rc after $(($(date +%s) - start)) s; stderr:"
	sed 's/^/# /' "$err"

	check "libvirt gives QEMU the ivshmem-doorbell device" has "$qemu_log" \
		'"driver":"ivshmem-doorbell","id":"shmem0","chardev":"charshmem0","vectors":1'
	check "on a chardev connected to the socket" has "$qemu_log" \
		"-chardev socket,id=charshmem0,path=$sock"
	check "the module registers over ivshmem" has "$console" \
		"loaded: 1 of 1 cpus have a host, transport ivshmem"
	check "host side passes" has "$out" "host side: PASS"
	check "guest side passes" has "$console" "HMTEST RESULT PASS"
	check "QEMU's exit ends the run, exit 0" test $rc -eq 0
	check "summary says so" has "$err" "QEMU disconnected"
	# libvirtd hears of QEMU's end a moment after hypermem-run.
	check "the guest's reboot ends the transient domain" within 100 domain_gone
	check "the socket is gone" test ! -e "$sock"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

shmem_plugged() {
	virsh_ dumpxml "$domain" | grep -q "<shmem name='hypermem'>"
}

# Unplug the device libvirt's way; the guest lets go ($1: which time).
detach() {
	check "attach $1: virsh detach-device takes the device out" \
		virsh_ detach-device "$domain" "$tmp/shmem.xml" --live
	check "attach $1: libvirt's domain has no shmem left" \
		within 300 not_plugged
	check "attach $1: the guest let go" within 300 grep -q \
		"the device was unplugged" "$console"
}

not_plugged() {
	! shmem_plugged
}

domain_running() {
	virsh_ domstate "$domain" | grep -q running
}

test_disk() {
	libvirt_up
	check "virsh creates the domain, its disk an overlay" \
		virsh_ create "$xml" || return
	booted=$(now_ms)
	check "hm-service runs its rounds without a host" \
		wait_for_re "$console" 'hm-service\[[0-9]+\]: round 1 FAIL' 2400 ||
		return
	echo "# hm-service's first round after $(($(now_ms) - booted)) ms"
	check "nothing loaded hypermem at boot" lacks "$console" \
		"hypermem: loaded"

	# shellcheck disable=SC2086 # $qemu_user: words
	listen PS_WHEN=now "$run" --qemu-socket "$sock" $qemu_user \
		--timeout 120 "$scripts/ps.lua"
	start=$(now_ms)
	check "attach 1: virsh attach-device plugs the device in" \
		virsh_ attach-device "$domain" "$tmp/shmem.xml" --live || return
	wait $pid
	rc=$?
	pid=
	echo "# attach 1 (ps.lua): exit code $rc $(($(now_ms) - start)) ms" \
		"after attach-device; stdout and stderr:"
	sed 's/^/# /' "$out" "$err"
	check_disk_ps "$out" "$console"
	check "attach 1: the script stops the run, exit 0" test $rc -eq 0
	detach 1

	# shellcheck disable=SC2086 # $qemu_user: words
	listen "$run" --qemu-socket "$sock" $qemu_user --timeout 120 \
		"$examples/plugins/ioctl_interaction.py"
	start=$(now_ms)
	check "attach 2: virsh attach-device plugs it in again" \
		virsh_ attach-device "$domain" "$tmp/shmem.xml" --live
	check "attach 2: the plugin's round" wait_for "$out" \
		"plugins.ioctl_interaction: Found pid:" 1200
	echo "# attach 2 (ioctl_interaction.py): its round" \
		"$(($(now_ms) - start)) ms after attach-device; Ctrl-C"
	kill -INT $pid
	wait $pid
	rc=$?
	pid=
	echo "# exit code $rc; stdout and stderr:"
	sed 's/^/# /' "$out" "$err"
	check_disk_plugin "$out" "$console"
	check "Ctrl-C ends the run, exit 0" test $rc -eq 0
	detach 2
	check "the domain runs on" domain_running
	check "the socket is gone" test ! -e "$sock"
}

"test_$mode"
stop_libvirt
check "libvirtd stops" test -z "$(pgrep -f "libvirtd .*$tmp")"
check "no QEMU left running" no_qemu_left
if [ $failures -ne 0 ]; then
	for log in "$out" "$console" "$qemu_log" \
		"$tmp/cache/libvirt/libvirtd.log"; do
		echo "# ---- $log ----"
		sed 's/^/# /' "$log"
	done
fi
[ $failures -eq 0 ]
