-- Process events: guest-tiny's shell execs /bin/worker, which exits. The
-- exec handler runs in the new image; a filter keeps exits of a process's
-- last task; "*" sees both.
hm.on_process("exec", function(ev)
	print(string.format("exec: tid %d tgid %d was %d, %s: %s %s", ev.tid,
			    ev.tgid, ev.old_tid, ev.comm, hm.exe(),
			    table.concat(hm.get_proc_args(), " ")))
end)
hm.on_process("exit", { last = 1 }, function(ev)
	print(string.format("exit: tid %d status %d, %s", ev.tid,
			    ev.status >> 8, ev.comm))
end)
hm.on_process("*", function(ev)
	print("any: " .. ev.kind .. " nr " .. ev.nr .. " phase " .. ev.phase)
end)
