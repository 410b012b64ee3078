-- Fake ioctl: answer a request the guest's hardware cannot, as rehosting
-- tools do for the devices an emulated board lacks.
--
--   hypermem-run --cmdline scenario=hwaddr fake_ioctl.lua
--
-- SIOCGIFHWADDR asks a network device for its MAC address; guest-tiny has
-- no device to ask. At the ioctl's entry the script fills the caller's
-- struct ifreq (ifr_hwaddr: sa_family, then the address) and skips the
-- call, which returns 0 without running (event control).

local SIOCGIFHWADDR = 0x8927
local ARPHRD_ETHER = 1
local MAC = "\x02\x00\x5e\x00\x53\x01"

hm.on_syscall("ioctl", "enter", function(ev)
	if ev.cmd ~= SIOCGIFHWADDR then
		return
	end
	local name = hm.read_str(ev.arg, 16)
	assert(hm.write_bytes(ev.arg + 16, string.pack("<I2", ARPHRD_ETHER) ..
			      MAC))
	assert(hm.skip(0))
	print(string.format("pid %d: SIOCGIFHWADDR %s -> %s, skipped",
			    hm.get_proc_pid(), name,
			    MAC:gsub(".", function(c)
				    return string.format("%02x:", c:byte())
			    end):sub(1, -2)))
end)
