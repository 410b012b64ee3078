-- A comm filter on a guest that does not say who raised an event.
hm.on_syscall("write", "enter", {comm = "worker"}, function(ev)
	print("never")
end)
