-- A pid filter on a guest without subscriptions: the host asks the guest
-- for the pid, and fake-qemu's guest answers malformed.
hm.on_syscall("write", "enter", {pid = 1}, function(ev)
	print("never")
end)
