-- A handler that never returns: --timeout must still end the run (5).
hm.on_syscall("write", "enter", function(ev)
	while true do
	end
end)
