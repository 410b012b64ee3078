-- Text that JSON must escape, and raw guest buffers, printed as they are.
print("quote \" backslash \\ tab \t cr \r nul \0 bell \7 del \127")
print("utf-8 é ✓ 😀, invalid \255\254 \xc3( \xed\xa0\x80")
print("two\nlines")
hm.on_syscall("*", "enter", function(ev)
	if ev.name == "write" then
		print(hm.read_bytes(ev.buf, ev.count))
	end
end)
