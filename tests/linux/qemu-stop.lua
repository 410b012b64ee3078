-- The first user event ends the run: hm.stop() under QEMU kills QEMU.
hm.on_user_event(function(ev)
	print(string.format("stopping at user event 0x%x", ev.code))
	hm.stop()
end)
