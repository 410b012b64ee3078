-- A return value assigned at a syscall's entry: a Lua error, the guest
-- stopped, exit 1.
hm.on_syscall("write", "enter", function(ev)
	ev.ret = 0
end)
