-- ps: when a chosen program starts, the process tree of the whole guest.
--
--   PS_WHEN=worker hypermem-run --cmdline scenario=exec ps.lua
--   PS_WHEN=hm-ps-test hypermem-run --kernel vmlinux --initrd ... ps.lua
--
--   PS_WHEN=now hypermem-run --attach /tmp/vm.qmp ps.lua
--
-- "Starts" is the return of its successful execve, where the new image's
-- name is the task's comm; "now" is the first system call any process
-- makes, and the run ends after the tree (for a VM that runs already).
-- Threads fold into their process (a count); kernel threads are listed
-- in brackets, as ps does.

local program = os.getenv("PS_WHEN") or "worker"

local function tree(list)
	local procs, children, threads = {}, {}, {}
	for _, t in ipairs(list) do
		if t.pid == t.tgid then
			procs[t.pid] = t
		else
			threads[t.tgid] = (threads[t.tgid] or 0) + 1
		end
	end
	for pid, p in pairs(procs) do
		local parent = procs[p.ppid] and p.ppid or 0
		children[parent] = children[parent] or {}
		table.insert(children[parent], pid)
	end
	local function show(pid, depth)
		local p = procs[pid]
		local name = p.kthread and "[" .. p.comm .. "]" or p.comm
		local more = threads[pid] and
			string.format(" (+%d threads)", threads[pid]) or ""
		print(string.format("%6d %6d %5d %s  %s%s%s", p.pid, p.ppid, p.uid,
				    p.state, string.rep("  ", depth), name, more))
		table.sort(children[pid] or {})
		for _, child in ipairs(children[pid] or {}) do
			show(child, depth + 1)
		end
	end
	print(string.format("%6s %6s %5s %s  %s", "PID", "PPID", "UID", "S",
			    "COMMAND"))
	table.sort(children[0] or {})
	for _, pid in ipairs(children[0] or {}) do
		show(pid, 0)
	end
end

if program == "now" then
	hm.on_syscall("*", "enter", function(ev)
		print(string.format("at pid %d's %s:", hm.get_proc_pid(),
				    ev.name or "system call " .. ev.nr))
		tree(assert(hm.processes()))
		hm.stop()
	end)
else
	hm.on_syscall("execve", "return", { comm = program, ret = 0 },
		      function(ev)
		print(string.format("%s started (pid %d, %s):", program,
				    hm.get_proc_pid(), assert(hm.exe())))
		tree(assert(hm.processes()))
	end)
end
