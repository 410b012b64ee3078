-- hypermem-run's demo: what a host can see of, and do to, guest-tiny's
-- demo scenario (an ioctl test and two workers). Every line below comes
-- from guest memory, read while the guest waits in a syscall.

local seen = {}

-- A guest buffer as a Lua literal: quotes, \n, and \ddd for other bytes.
local function quote(s)
	return (string.format("%q", s):gsub("\\\n", "\\n"))
end

local function fd_name(fd)
	local name, err = hm.read_fd_name(fd)
	return name or err
end

-- The first time a process raises an event: who it is.
local function introduce(ev)
	local pid = hm.get_proc_pid()
	if seen[pid] then
		return pid
	end
	seen[pid] = hm.get_proc_args()[1]
	local args = {}
	for _, a in ipairs(hm.get_proc_args()) do
		args[#args + 1] = quote(a)
	end
	local env, names = hm.get_proc_env(), {}
	for name in pairs(env) do
		names[#names + 1] = name
	end
	table.sort(names)
	for i, name in ipairs(names) do
		names[i] = name .. "=" .. env[name]
	end
	print(string.format("process %d: argv {%s} env {%s}", pid,
			    table.concat(args, ", "),
			    table.concat(names, " ")))
	return pid
end

local function who(ev)
	local pid = introduce(ev)
	return string.format("  [%d %s] %s", pid, seen[pid], ev.name)
end

hm.on_syscall("*", "enter", introduce)
hm.on_syscall("*", "return", introduce)

hm.on_syscall("write", "enter", function(ev)
	local data = hm.read_bytes(ev.buf, math.min(ev.count, 64))
	print(string.format("%s(fd %d -> %s, %s, %d)", who(ev), ev.fd,
			    fd_name(ev.fd), quote(data), ev.count))
end)

hm.on_syscall("read", "return", function(ev)
	local data = ev.ret > 0 and quote(hm.read_bytes(ev.buf, ev.ret)) or ""
	print(string.format("%s(fd %d -> %s) = %d %s", who(ev), ev.fd,
			    fd_name(ev.fd), ev.ret, data))
end)

hm.on_syscall("open", "return", function(ev)
	print(string.format("%s(%s) = %d -> %s", who(ev),
			    quote(hm.read_str(ev.filename)), ev.ret,
			    fd_name(ev.ret)))
end)

hm.on_syscall("socket", "return", function(ev)
	local si = hm.read_socket_info(ev.ret)
	print(string.format("%s(%d, %d, %d) = %d -> %s %s:%d -> %s:%d",
			    who(ev), ev.family, ev.type, ev.protocol, ev.ret,
			    fd_name(ev.ret), si.local_addr, si.local_port,
			    si.remote_addr, si.remote_port))
end)

hm.on_syscall("close", "enter", function(ev)
	print(string.format("%s(fd %d -> %s)", who(ev), ev.fd, fd_name(ev.fd)))
end)

hm.on_syscall("exit", "enter", function(ev)
	print(string.format("%s(%d)", who(ev), ev.error_code))
end)

-- The original interaction test: read the request, rewrite it in place;
-- ioctl_test checks the rewrite and prints PASS.
hm.on_syscall("ioctl", "enter", function(ev)
	print(string.format("%s(fd %d -> %s, 0x%x, 0x%x)", who(ev), ev.fd,
			    fd_name(ev.fd), ev.cmd, ev.arg))
	if ev.cmd ~= 0x89f0 then
		return
	end
	print(string.format("    ifreq name %s value %d",
			    quote(hm.read_str(ev.arg, 16)),
			    hm.read_int(ev.arg + 16)))
	assert(hm.write_str(ev.arg, "test"))
	assert(hm.write_int(ev.arg + 16, 0x12345678))
	print(string.format("    rewrote it: name %s value 0x%x",
			    quote(hm.read_str(ev.arg, 16)),
			    hm.read_int(ev.arg + 16)))
end)

-- One guest file, read through the agent rather than a syscall.
hm.on_syscall("getpid", "return", function(ev)
	if not seen.file then
		seen.file = true
		print(who(ev) .. ": /etc/hostname in the guest holds " ..
		      quote(hm.read_file("/etc/hostname")))
	end
end)
