-- Each op on a bad address, fd or path returns nil and a message naming
-- the op, where and the errno text; none of them stops the script.
print("outside a handler:", hm.read_int(0x1000))

hm.on_syscall("write", "enter", function(ev)
	print(hm.read_int(0))
	print(hm.read_long(0x7fff00000000))
	print(hm.read_bytes(0x40600000 + 4096, 8))
	print(hm.read_str(0))
	print(hm.write_int(0x40000000, 1))
	print(hm.write_str(0, "x"))
	print(hm.read_fd_name(99))
	print(hm.read_file("/nope"))
	print(hm.read_socket_info(1))
	hm.stop()
end)
