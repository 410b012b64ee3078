-- A runtime error inside a handler, one call deep: file:line, the
-- traceback, the guest stopped, exit 1.
local function field_of(ev)
	local missing = nil
	return missing.field
end

hm.on_syscall("write", "enter", function(ev)
	print("handler runs once")
	field_of(ev)
end)
