-- A guest that stops answering in the middle of an event: the script
-- reads until a read fails, and says how it failed. qemu-run-test.sh's
-- stall mode stops QEMU (SIGSTOP) once "reading" is out, for longer than
-- the deadline, then lets it go on.
local HMIO = 0x484d494f
local done = false
hm.on_user_event(HMIO, function(ev)
	if done then
		return
	end
	done = true
	print("reading")
	local n, err = 0, nil
	while n < 1000000 do
		local v, e = hm.read_int(ev.args[1])
		if not v then
			err = e
			break
		end
		n = n + 1
	end
	print(string.format("after %d reads: %s", n, tostring(err)))
end)
