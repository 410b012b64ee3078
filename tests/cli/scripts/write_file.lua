-- Files the host writes into guest-tiny: a new one, patched at an
-- offset, read back; a built-in one (read-only), a missing one without
-- create, an emptied one, and one past guest-tiny's 16 KiB limit.
local done = false
hm.on_syscall("write", "enter", function(ev)
	if done then return end
	done = true
	print(hm.write_file("/etc/hm.conf", "key=value\n"))
	print(hm.write_file("/etc/hm.conf", "VALUE", 4))
	print(hm.read_file("/etc/hm.conf"))
	print(hm.write_file("/etc/hostname", "x"))
	print(hm.write_file("/nope", "x", 0, 0))
	print(hm.write_file("/etc/hm.conf", "", nil, 2))
	print(#hm.read_file("/etc/hm.conf"))
	print(hm.write_file("/big", string.rep("a", 20000)))
end)
