-- hm-control-test's host as a script (linux-boot-test is it on x86, where
-- it drives the VMM core itself): it changes what the program's calls do
-- (a guest whose kernel cannot skip, 32-bit ARM's, says so instead).
--
--   write(1000, "0123456789", 10)  the count becomes 4
--   mkdir("/hm-skipped")           skipped, returning 0
--   lseek(1000, 0, SEEK_CUR)       returns 4242 (a pipe's is -ESPIPE)
--
-- and at each user event (hm-ioctl-test's ioctl interaction, which this
-- script leaves unanswered) it writes /hm-written, as init.sh checks with
-- hmcontrol. arm64 has no mkdir(2): its mkdirat takes the path second.

local MARK_FD = 1000
local HMIO = 0x484d494f
local only = {comm = "hm-control-test"}

hm.on_syscall("write", "enter", only, function(ev)
	if ev.fd == MARK_FD then
		ev.count = 4
	end
end)

-- A 32-bit guest's C library seeks with _llseek, whose return value it
-- gives back when it is not 0.
local function seek_returns(ev)
	if ev.args[1] == MARK_FD then
		ev.ret = 4242
	end
end
if not pcall(hm.on_syscall, "_llseek", "return", only, seek_returns) then
	hm.on_syscall("lseek", "return", only, seek_returns)
end

local function skip_marked(path_arg)
	return function(ev)
		if hm.read_str(ev.args[path_arg], 64) == "/hm-skipped" then
			local ok, err = hm.skip(0)
			print(ok and "control: skipped mkdir /hm-skipped" or
			      "control: cannot skip mkdir /hm-skipped: " .. err)
		end
	end
end

if not pcall(hm.on_syscall, "mkdir", "enter", only, skip_marked(1)) then
	hm.on_syscall("mkdirat", "enter", only, skip_marked(2))
end

hm.on_user_event(HMIO, function()
	assert(hm.write_file("/hm-written", "written by the host"))
end)
