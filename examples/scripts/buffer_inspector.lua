-- Buffer inspector: find an HTTP request in a buffer a process writes,
-- rewrite one of its headers and change write()'s count to match.
--
--   hypermem-run --cmdline scenario=http buffer_inspector.lua
--
-- Assigning ev.count at the entry of write() changes the argument the
-- guest's kernel sees (event control). The client leaves room in its
-- 512-byte buffer and prints the request it sent.

local ROOM = 512
local AGENT = "hypermem-run/0.1 (inspected)"

local function show(request)
	for line in request:gmatch("([^\r\n]*)\r\n") do
		if line ~= "" then
			print("    " .. line)
		end
	end
end

hm.on_syscall("write", "enter", function(ev)
	local data = hm.read_bytes(ev.buf, ev.count)
	if not data or not data:match("^%u+ %S+ HTTP/%d%.%d\r\n") then
		return
	end
	print(string.format("pid %d write: %d-byte HTTP request on %s:",
			    hm.get_proc_pid(), ev.count, hm.read_fd_name(ev.fd)))
	show(data)
	local rewritten, n = data:gsub("\r\nUser%-Agent: [^\r]*\r\n",
				       "\r\nUser-Agent: " .. AGENT .. "\r\n", 1)
	if n == 0 or #rewritten > ROOM then
		print("  left as it is")
		return
	end
	assert(hm.write_bytes(ev.buf, rewritten))
	local count = ev.count
	ev.count = #rewritten
	print(string.format("  rewrote User-Agent; count %d -> %d", count,
			    ev.count))
end)
