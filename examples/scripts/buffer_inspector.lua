-- Buffer inspector: find an HTTP request in a buffer a process sends,
-- rewrite one of its headers and adjust the byte count to match.
--
--   hypermem-run --cmdline scenario=http buffer_inspector.lua
--
-- http_client sends its request with writev(fd, iov, 1); the count lives in
-- guest memory (iov[0].iov_len), so the script can change it. The client
-- leaves room in its 512-byte buffer and prints the request it sent.

local ROOM = 512
local AGENT = "hypermem-run/0.1 (inspected)"

local function show(request)
	for line in request:gmatch("([^\r\n]*)\r\n") do
		if line ~= "" then
			print("    " .. line)
		end
	end
end

hm.on_syscall("writev", "enter", function(ev)
	-- struct iovec { void *iov_base; size_t iov_len; }
	local base, len = hm.read_ptr(ev.vec), hm.read_long(ev.vec + 8)
	local data = hm.read_bytes(base, len)
	if not data:match("^%u+ %S+ HTTP/%d%.%d\r\n") then
		return
	end
	print(string.format("pid %d writev: %d-byte HTTP request on %s:",
			    hm.get_proc_pid(), len, hm.read_fd_name(ev.fd)))
	show(data)
	local rewritten, n = data:gsub("\r\nUser%-Agent: [^\r]*\r\n",
				       "\r\nUser-Agent: " .. AGENT .. "\r\n", 1)
	if n == 0 or #rewritten > ROOM then
		print("  left as it is")
		return
	end
	assert(hm.write_bytes(base, rewritten))
	assert(hm.write_long(ev.vec + 8, #rewritten))
	print(string.format("  rewrote User-Agent; iov_len %d -> %d", len,
			    #rewritten))
end)
