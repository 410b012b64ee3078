-- The module's syscall probes follow the subscription (hypermem-run-test.sh
-- probes, with hmprobes on the guest's command line): while this script
-- hooks only a user event the guest has none; its HMIO event makes the
-- script hook openat, after which the guest finds them registered and
-- opens /hm-probed, which the hook must see.
local HMIO = 0x484d494f
local hooked = false

hm.on_user_event(HMIO, function(ev)
	print("probes: user event")
	if hooked then
		return
	end
	hooked = true
	hm.on_syscall("openat", "enter", function(op)
		if hm.read_str(op.filename) == "/hm-probed" then
			print("probes: openat /hm-probed")
		end
	end)
end)
