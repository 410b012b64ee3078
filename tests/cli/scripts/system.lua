-- The whole system on guest-tiny, as it builds it: its processes, and the
-- map, open files, executable and working directory of the one whose
-- event this is and of another by pid; a pid that does not exist.
local done = false

local function show_maps(pid)
	for _, m in ipairs(assert(hm.maps(pid))) do
		-- The text's end depends on how guest-tiny was compiled.
		local size = m.name:match("^/bin/") and "text" or
			string.format("%d pages", (m["end"] - m.start) // 4096)
		print(string.format("  0x%x %s %s %s off %d inode %d", m.start,
				    size, m.perms, m.name, m.offset, m.inode))
	end
end

hm.on_syscall("write", "enter", function(ev)
	if done then
		return
	end
	done = true
	for _, p in ipairs(assert(hm.processes())) do
		print(string.format("pid %d tgid %d ppid %d uid %d %s %s%s", p.pid,
				    p.tgid, p.ppid, p.uid, p.state, p.comm,
				    p.kthread and " kthread" or ""))
	end
	print("maps of " .. hm.get_proc_pid() .. ":")
	show_maps()
	print("maps of 2:")
	show_maps(2)
	for _, f in ipairs(assert(hm.fds())) do
		print(string.format("fd %d flags %d %s", f.fd, f.flags, f.name))
	end
	print("exe", hm.exe(), "cwd", hm.cwd(), "exe of 2", hm.exe(2))
	print(hm.maps(99))
	print(hm.fds(99))
	print(hm.exe(99))
end)
