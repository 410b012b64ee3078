-- Process info: arguments, environment and pid of each process, and the
-- executable path, arguments and environment of each exec.
--
--   hypermem-run --cmdline scenario=exec process_info.lua
--
-- A shell execs /bin/worker; the same pid then runs a new program.

local function list(t)
	local out = {}
	for _, v in ipairs(t) do
		out[#out + 1] = string.format("%q", v)
	end
	return "{" .. table.concat(out, ", ") .. "}"
end

local function env(t)
	local names = {}
	for name in pairs(t) do
		names[#names + 1] = name
	end
	table.sort(names)
	for i, name in ipairs(names) do
		names[i] = name .. "=" .. t[name]
	end
	return "{" .. table.concat(names, " ") .. "}"
end

-- A NULL-terminated array of string pointers in guest memory.
local function strings(addr)
	local out = {}
	for i = 0, 63 do
		local p = hm.read_ptr(addr + hm.pointer_size() * i)
		if not p or p == 0 then
			break
		end
		out[#out + 1] = hm.read_str(p)
	end
	return out
end

local function describe(what)
	print(string.format("%s: pid %d args %s", what, hm.get_proc_pid(),
			    list(hm.get_proc_args())))
	print("  env " .. env(hm.get_proc_env()))
end

local known = {}
hm.on_syscall("*", "enter", function(ev)
	local pid = hm.get_proc_pid()
	if not known[pid] then
		known[pid] = true
		describe("process")
	end
end)

hm.on_syscall("execve", "enter", function(ev)
	print(string.format("pid %d execve(%q, %s, %s)", hm.get_proc_pid(),
			    hm.read_str(ev.filename), list(strings(ev.argv)),
			    list(strings(ev.envp))))
end)

hm.on_syscall("execve", "return", function(ev)
	print(string.format("pid %d execve() = %d", hm.get_proc_pid(), ev.ret))
	describe("after exec")
end)

hm.on_syscall("exit", "enter", function(ev)
	print(string.format("pid %d (%s) exits with %d", hm.get_proc_pid(),
			    hm.get_proc_args()[1], ev.error_code))
end)
