-- Memory access: read a buffer when a read returns, read integers from it,
-- write a string into it, and see the guest print what was written.
--
--   hypermem-run --cmdline scenario=two memory_access.lua
--
-- Worker "alpha" reads /etc/hostname and writes what it read to the
-- console; this script rewrites the buffer between the two.

local function quote(s)
	return (string.format("%q", s):gsub("\\\n", "\\n"))
end

hm.on_syscall("read", "return", function(ev)
	if ev.ret <= 0 or hm.read_fd_name(ev.fd) ~= "/etc/hostname" then
		return
	end
	local pid = hm.get_proc_pid()
	print(string.format("pid %d read %d bytes at 0x%x: %s", pid, ev.ret,
			    ev.buf, quote(hm.read_bytes(ev.buf, ev.ret))))
	print(string.format("  read_int  -> 0x%08x", hm.read_int(ev.buf)))
	print(string.format("  read_long -> 0x%016x", hm.read_long(ev.buf)))
	print(string.format("  read_ptr  -> 0x%x", hm.read_ptr(ev.buf)))
	-- Same length as "guest-tiny\n", so the worker prints all of it.
	assert(hm.write_str(ev.buf, "rewritten!\n"))
	print("  write_str -> " .. quote(hm.read_str(ev.buf)))
	-- A failing op returns nil and a message; it does not stop the script.
	print("  read_int(0) ->", hm.read_int(0))
end)
