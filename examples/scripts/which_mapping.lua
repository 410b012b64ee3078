-- Which mapping an address falls in: for each write(2) (or the syscall
-- that MAPPING_SYSCALL names, its second argument), the library or region
-- that holds the buffer and the offset in it, from the process's map.
--
--   hypermem-run --cmdline scenario=two which_mapping.lua
--   MAPPING_SYSCALL=read hypermem-run --kernel ... which_mapping.lua
--
-- The same lookup names where a faulting address lies for a crash triage.

local syscall = os.getenv("MAPPING_SYSCALL") or "write"
local seen = {}

local function describe(addr)
	local maps, err = hm.maps()
	if not maps then
		return "(no map: " .. err .. ")"
	end
	for _, m in ipairs(maps) do
		if addr >= m.start and addr < m["end"] then
			local name = m.name ~= "" and m.name or "[anonymous]"
			return string.format("%s %s+0x%x", m.perms, name,
					     addr - m.start + m.offset)
		end
	end
	return "unmapped"
end

hm.on_syscall(syscall, "enter", function(ev)
	local pid = hm.get_proc_pid()
	local addr = ev.args[2]
	-- Once per process and region: a buffer's home does not move.
	local key = pid .. ":" .. describe(addr):gsub("%+.*", "")
	if seen[key] then
		return
	end
	seen[key] = true
	print(string.format("pid %d %s(0x%x): %s", pid, syscall, addr,
			    describe(addr)))
end)
