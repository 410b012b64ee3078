-- Filters checked in the guest (scenario two: workers alpha, pid 1, and
-- beta, pid 2): beta's lines to fd 1, and every worker's sched_yield
-- return, a call guest-tiny raises only when subscribed to.
hm.on_syscall("write", "enter", {fd = 1, pid = 2}, function(ev)
	print(("write fd %d count %d by %s"):format(ev.fd, ev.count,
		hm.get_proc_args()[2]))
end)
hm.on_syscall("sched_yield", "return", {comm = "worker", ret = 0},
	function(ev)
		print(("yield by %s"):format(hm.get_proc_args()[2]))
	end)
