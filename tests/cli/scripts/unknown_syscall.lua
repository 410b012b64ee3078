-- A syscall name that x86-64 Linux does not have.
hm.on_syscall("frobnicate", "enter", function(ev) end)
