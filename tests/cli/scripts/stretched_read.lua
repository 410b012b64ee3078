-- One read of many round trips from a guest that answers each of them
-- late (tests/cli/fake-qemu.c): the run's end cuts it short.
hm.on_syscall("write", "enter", function(ev)
	print("reading")
	local data, err = hm.read_bytes(ev.buf, ev.count)
	print(string.format("read: %s", data and #data or tostring(err)))
end)
