-- Another process's memory, argv, environment and fds from an event of
-- pid 1 in guest-tiny's two-worker scenario; back to its own; no pid 99.
local done = false
hm.on_syscall("write", "enter", function(ev)
	if done or hm.get_proc_pid() ~= 1 then return end
	done = true
	print("own", hm.get_proc_pid(), table.concat(hm.get_proc_args(), " "), hm.get_proc_env().ROLE)
	print(hm.use_process(2))
	print("other", hm.get_proc_pid(), table.concat(hm.get_proc_args(), " "), hm.get_proc_env().ROLE, hm.read_fd_name(1))
	print(hm.read_int(0x40400000), hm.write_int(0x40400000, 7), hm.read_int(0x40400000))
	print(hm.use_process(0), hm.get_proc_pid(), hm.read_int(0x40400000))
	print(hm.use_process(99))
end)
