-- The disk image's hm-service (scripts/make-disk-image), inspected while
-- it runs: at its first ioctl its process and its parent, then the ioctl
-- interaction (ioctl_interaction.lua's) and what it writes to its file;
-- the second ioctl ends the run. udev loads the module by the device's
-- modalias, often after hm-service started: its exec may come before.

local SIOCDEVPRIVATE = 0x89f0
local IFNAMSIZ = 16
local start = os.time()
local first, rounds = true, 0

local function since_start(what)
	print(string.format("%s after %d s", what, os.time() - start))
end

local function show_service(pid)
	for _, t in ipairs(assert(hm.processes())) do
		if t.pid == pid or t.pid == 1 then
			print(string.format("  pid %d ppid %d uid %d %s", t.pid,
					    t.ppid, t.uid, t.comm))
		end
	end
end

local function interact(addr)
	local name = hm.read_str(addr, IFNAMSIZ)
	local value = hm.read_int(addr + IFNAMSIZ)
	print(string.format("  read  name %q value %d", name, value))
	assert(hm.write_str(addr, "test"))
	assert(hm.write_int(addr + IFNAMSIZ, 0x12345678))
	name = hm.read_str(addr, IFNAMSIZ)
	value = hm.read_int(addr + IFNAMSIZ)
	print(name == "test" and value == 0x12345678 and "  host side: PASS"
	      or "  host side: FAIL")
end

hm.on_process("exec", function(ev)
	if first then
		first = false
		since_start("first event")
	end
end)

hm.on_syscall("ioctl", "enter", { comm = "hm-service",
				  cmd = SIOCDEVPRIVATE }, function(ev)
	rounds = rounds + 1
	since_start(string.format("round %d: ioctl(SIOCDEVPRIVATE)", rounds))
	if rounds == 1 then
		print(string.format("hm-service (pid %d, %s):",
				    hm.get_proc_pid(), assert(hm.exe())))
		show_service(hm.get_proc_pid())
	elseif rounds == 2 then
		hm.stop()
		return
	end
	interact(ev.arg)
end)

-- Its other writes are its stdout's, to the journal.
hm.on_syscall("write", "enter", { comm = "hm-service" }, function(ev)
	local path = hm.read_fd_name(ev.fd)
	if path and path:match("^/var/lib/") then
		local data = hm.read_bytes(ev.buf, ev.count)
		print(string.format("  writes %q to %s",
				    (data:gsub("\n$", "")), path))
	end
end)
