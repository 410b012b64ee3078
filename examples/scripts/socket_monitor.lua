-- Socket monitor: describe each new socket, read the struct sockaddr_in a
-- process connects to and change its port before the kernel sees it.
--
--   hypermem-run --cmdline scenario=sockets socket_monitor.lua
--
-- netclient connects to 10.0.2.2:8080; this script moves it to port 80,
-- and netclient prints the peer the kernel recorded.

local function quote(s)
	return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function describe(si)
	return string.format("family %d type %d protocol %d state %d, " ..
			     "%s:%d -> %s:%d", si.family, si.type,
			     si.protocol, si.state, si.local_addr,
			     si.local_port, si.remote_addr, si.remote_port)
end

hm.on_syscall("socket", "return", function(ev)
	if ev.ret < 0 then
		return
	end
	print(string.format("pid %d socket() = %d (%s): %s",
			    hm.get_proc_pid(), ev.ret, hm.read_fd_name(ev.ret),
			    describe(hm.read_socket_info(ev.ret))))
end)

-- struct sockaddr_in: u16 family, u16 port (big-endian), u32 address.
hm.on_syscall("connect", "enter", function(ev)
	local sa = hm.read_bytes(ev.addr, ev.addrlen)
	local family, port, a, b, c, d = string.unpack("<I2>I2BBBB", sa)
	print(string.format("pid %d connect(fd %d, {family %d, %d.%d.%d.%d:%d}" ..
			    ", %d)", hm.get_proc_pid(), ev.fd, family,
			    a, b, c, d, port, ev.addrlen))
	if port == 8080 then
		assert(hm.write_bytes(ev.addr + 2, string.pack(">I2", 80)))
		print("  changed the port field to 80")
	end
end)

hm.on_syscall("connect", "return", function(ev)
	print(string.format("pid %d connect() = %d: %s", hm.get_proc_pid(),
			    ev.ret, describe(hm.read_socket_info(ev.fd))))
end)

hm.on_syscall("write", "enter", function(ev)
	local name = hm.read_fd_name(ev.fd)
	if name and name:find("^socket:") then
		print(string.format("pid %d sends %s on %s", hm.get_proc_pid(),
				    quote(hm.read_bytes(ev.buf, ev.count)), name))
	end
end)

hm.on_syscall("read", "return", function(ev)
	local name = hm.read_fd_name(ev.fd)
	if name and name:find("^socket:") and ev.ret > 0 then
		print(string.format("pid %d receives %s on %s",
				    hm.get_proc_pid(),
				    quote(hm.read_bytes(ev.buf, ev.ret)), name))
	end
end)
