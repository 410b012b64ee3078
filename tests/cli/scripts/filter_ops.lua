-- Filter operators checked in the guest (scenario paths: opener opens
-- /etc/hostname, /etc/motd with O_WRONLY|O_CREAT|O_TRUNC, /proc/version,
-- /usr/share/doc/libc6/README and, with O_CREAT, .../libzz/README, the
-- last two missing, then writes a line to fd 1 and one to fd 2).
local function path(ev)
	return hm.read_str(ev.filename, 256)
end

hm.on_syscall("openat", "enter", {filename = {prefix = "/etc/"}},
	function(ev) print("under /etc: " .. path(ev)) end)
hm.on_syscall("openat", "enter", {flags = {bits_set = 0x40}},
	function(ev) print("O_CREAT: " .. path(ev)) end)
hm.on_syscall("openat", "enter", {flags = {bits_clear = 0x241},
	filename = {suffix = "version"}},
	function(ev) print("read-only version: " .. path(ev)) end)
-- 27 bytes: the guest checks the first 16, the host the rest.
hm.on_syscall("openat", "enter",
	{filename = {str = "/usr/share/doc/libc6/README"}},
	function(ev) print("libc6's README: " .. path(ev)) end)
hm.on_syscall("openat", "return", {ret = {error = true},
	filename = {contains = "doc/lib"}},
	function(ev) print(("failed with %d: %s"):format(ev.ret, path(ev)))
	end)
hm.on_syscall("write", "enter", {fd = {ne = 1}},
	function(ev) print(("write to fd %d"):format(ev.fd)) end)
