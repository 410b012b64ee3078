-- A syntax error on line 3: hypermem-run must name it and exit 1.
hm.on_syscall("write", "enter", function(ev)
	print("unclosed"
end)
