-- The original interaction test: a process hands the host a struct ifreq
-- through a private socket ioctl (SIOCDEVPRIVATE); the host reads its name
-- and value, writes new ones, and the process checks them.
--
--   hypermem-run --cmdline scenario=ioctl ioctl_interaction.lua
--
-- ioctl_test prints PASS when it finds name "test" and value 0x12345678.
--
-- In a Linux guest (scripts/make-linux-guest) the hypermem module's
-- hm-ioctl-test raises user event HMIO instead, its first argument
-- pointing at the same layout (name "hm0", value 42):
--
--   hypermem-run --kernel guest/vmlinux --initrd guest/initramfs.cpio \
--       --append "console=ttyS0 rdinit=/init panic=-1" ioctl_interaction.lua

local SIOCDEVPRIVATE = 0x89f0
local IFNAMSIZ = 16
local HMIO = 0x484d494f

-- Read the ifreq at addr, write the new name and value, read them back.
local function interact(addr)
	local name = hm.read_str(addr, IFNAMSIZ)
	local value = hm.read_int(addr + IFNAMSIZ)
	print(string.format("  read  name %q value %d", name, value))
	assert(hm.write_str(addr, "test"))
	assert(hm.write_int(addr + IFNAMSIZ, 0x12345678))
	name = hm.read_str(addr, IFNAMSIZ)
	value = hm.read_int(addr + IFNAMSIZ)
	print(string.format("  wrote name %q value 0x%x", name, value))
	print(name == "test" and value == 0x12345678 and "  host side: PASS"
	      or "  host side: FAIL")
end

hm.on_syscall("ioctl", "enter", function(ev)
	if ev.cmd ~= SIOCDEVPRIVATE then
		return
	end
	print(string.format("pid %d %s: ioctl(fd %d -> %s, SIOCDEVPRIVATE)",
			    hm.get_proc_pid(), hm.get_proc_args()[1], ev.fd,
			    hm.read_fd_name(ev.fd)))
	interact(ev.arg)
end)

hm.on_user_event(HMIO, function(ev)
	print(string.format("cpu%d user event HMIO, ifreq at 0x%x", ev.cpu,
			    ev.args[1]))
	interact(ev.args[1])
end)
