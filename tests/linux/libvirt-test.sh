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
# usage: libvirt-test.sh HYPERMEM_RUN WORK_DIR SCRIPTS DOMAIN_XML
set -u
run=$1 work=$2 scripts=$3 template=$4
out=$work/libvirt.out
err=$work/libvirt.err
# shellcheck source=checks.sh
. "$(dirname "$0")/checks.sh"

for program in libvirtd virsh virt-xml-validate qemu-system-x86_64; do
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
domain=hypermem-guest
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
cp "$work/bzImage" "$work/initramfs.cpio" "$tmp/"
sed "s|/srv/hypermem|$tmp|g" "$template" >"$xml"
chmod -R a+rX "$tmp"
[ "$(id -u)" -eq 0 ] && chown -R nobody "$tmp/config" "$tmp/run"
chmod 700 "$tmp/run"

start=$(date +%s)
check "the domain's XML is valid" virt-xml-validate "$xml" domain
check "libvirtd starts" libvirt timeout 60 libvirtd --daemon --timeout 300 \
	--pid-file "$tmp/libvirtd.pid"

(
	umask $socket_umask
	# shellcheck disable=SC2086 # $qemu_user is words
	exec "$run" --qemu-socket "$sock" $qemu_user --timeout 240 \
		"$scripts/ioctl_interaction.lua"
) </dev/null >"$out" 2>"$err" &
pid=$!
check "hypermem-run listens" wait_for "$err" "start it with: " 300
check "virsh creates the transient domain" virsh_ create "$xml"
wait $pid
rc=$?
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
