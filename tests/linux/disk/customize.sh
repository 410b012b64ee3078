#!/bin/sh
# SPDX-License-Identifier: MIT
# Run by scripts/make-disk-image in the image's root (chroot), with
# hypermem-dkms's .deb and the service's source in /tmp: the package
# installed with apt as a user would (DKMS builds the module for the
# image's kernel, not the host's), the service built and enabled, and a
# root that logs in on the serial console without a password.
set -eux
apt-get install -y /tmp/hypermem-dkms_*_all.deb
kernel=$(ls /usr/lib/modules)
dkms autoinstall -k "$kernel"
test -f "/usr/lib/modules/$kernel/updates/dkms/hypermem.ko"
grep -q '^alias pci:v00001AF4d00001110.* hypermem$' \
	"/usr/lib/modules/$kernel/modules.alias"
gcc -O2 -Wall -Wextra -o /usr/local/sbin/hm-service /tmp/hm-service.c
systemctl enable hm-service.service
passwd -d root
echo hypermem-guest >/etc/hostname
echo '/dev/vda / ext4 rw 0 1' >/etc/fstab
apt-get clean
rm -f /tmp/*.deb /tmp/hm-service.c /tmp/customize.sh
