-- The original interaction test: a process hands the host a struct ifreq
-- through a private socket ioctl (SIOCDEVPRIVATE); the host reads its name
-- and value, writes new ones, and the process checks them.
--
--   hypermem-run --cmdline scenario=ioctl ioctl_interaction.lua
--
-- ioctl_test prints PASS when it finds name "test" and value 0x12345678.

local SIOCDEVPRIVATE = 0x89f0
local IFNAMSIZ = 16

hm.on_syscall("ioctl", "enter", function(ev)
	if ev.cmd ~= SIOCDEVPRIVATE then
		return
	end
	print(string.format("pid %d %s: ioctl(fd %d -> %s, SIOCDEVPRIVATE)",
			    hm.get_proc_pid(), hm.get_proc_args()[1], ev.fd,
			    hm.read_fd_name(ev.fd)))
	local name = hm.read_str(ev.arg, IFNAMSIZ)
	local value = hm.read_int(ev.arg + IFNAMSIZ)
	print(string.format("  read  name %q value %d", name, value))
	assert(hm.write_str(ev.arg, "test"))
	assert(hm.write_int(ev.arg + IFNAMSIZ, 0x12345678))
	name = hm.read_str(ev.arg, IFNAMSIZ)
	value = hm.read_int(ev.arg + IFNAMSIZ)
	print(string.format("  wrote name %q value 0x%x", name, value))
	print(name == "test" and value == 0x12345678 and "  host side: PASS"
	      or "  host side: FAIL")
end)
