-- A filter key that names nothing.
hm.on_syscall("write", "enter", {bogus = 1}, function(ev) end)
