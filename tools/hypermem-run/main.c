// SPDX-License-Identifier: MIT
/*
 * hypermem-run: boot a guest under KVM with libhypermem attached and run a
 * Lua script on its events. The guest is guest-tiny or a Linux kernel, run
 * by run.c on the VMM core, or a Linux kernel under a stock QEMU. See
 * hypermem-run.1 for the options, the Lua API and the exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiny/boot.h>
#include <vmm/vmm.h>

#include "output.h"
#include "paths.h"
#include "run.h"
#include "script.h"

static const char help_text[] =
"usage: hypermem-run [options] [SCRIPT.lua | PLUGIN.py ...]\n"
"\n"
"Boot a guest under KVM with libhypermem attached and run SCRIPT.lua on\n"
"the events it raises. The guest is guest-tiny, or with --kernel a Linux\n"
"kernel with the hypermem module, on the VMM core or under a stock QEMU\n"
"(--vmm qemu, --qemu-socket). Without SCRIPT.lua, runs the bundled\n"
"demo script (written for guest-tiny's demo scenario). A PLUGIN.py in the\n"
"original's Python vocabulary or in penguin's goes to `python3 -m\n"
"hypermem`, options and all, as do several, --config and --plugin-arg:\n"
"  hypermem-run --cmdline scenario=ioctl ioctl_interaction.py\n"
"\n"
"options:\n"
"  --guest PATH      guest-tiny ELF image to boot (default: the bundled\n"
"                    guest-tiny.elf)\n"
"                      hypermem-run --guest build/guest-tiny/guest-tiny.elf\n"
"  --kernel PATH     boot this Linux kernel instead: a vmlinux (entered\n"
"                    through its PVH note) or a bzImage; on arm64 an\n"
"                    Image, and required (guest-tiny is x86-64's)\n"
"                      hypermem-run --kernel guest/bzImage --initrd \\\n"
"                        guest/initramfs.cpio ioctl_interaction.lua\n"
"  --initrd PATH     initramfs for --kernel\n"
"  --append STR      the kernel's command line (default \"console=ttyS0\";\n"
"                    under QEMU its machine's serial, ttyAMA0 on ARM);\n"
"                    hypermem.transport=vmcall: the module rings by VMCALL\n"
"                      hypermem-run --kernel vmlinux --append \\\n"
"                        \"console=ttyS0 panic=-1\" --timeout 200\n"
"  --cpus N          vCPUs, 1 to 8 (default 1)\n"
"                      hypermem-run --cpus 2\n"
"  --mem MIB         guest RAM in MiB, even, 16 to 1024 (default 64;\n"
"                    512 with --kernel)\n"
"                      hypermem-run --mem 128\n"
"  --timeout SEC     stop the guest after SEC seconds of wall-clock time\n"
"                    (default 60, exit code 5)\n"
"                      hypermem-run --timeout 5 script.lua\n"
"  --cmdline STR     guest-tiny command line (default \"scenario=demo\";\n"
"                    scenarios: demo ioctl two smp hello sockets http exec;\n"
"                    transport=vmcall: ring the host by VMCALL)\n"
"                      hypermem-run --cmdline scenario=http script.lua\n"
"  --vmm core|qemu   what runs the guest (default core); qemu starts the\n"
"                    qemu-system-* of the kernel's architecture on --kernel\n"
"                    with an ivshmem-doorbell device that the module finds,\n"
"                    its serial on the terminal\n"
"                      hypermem-run --vmm qemu --kernel guest/bzImage \\\n"
"                        --initrd guest/initramfs.cpio ioctl_interaction.lua\n"
"  --arch ARCH       the guest's architecture: x86_64, aarch64, arm, mipsel\n"
"                    or mips64el (default: the kernel's, read from its\n"
"                    header; with --qemu-socket or --attach the host's)\n"
"                      hypermem-run --vmm qemu --arch aarch64 --kernel Image\n"
"  --accel MODE      QEMU's accelerator: kvm, tcg or auto (default: KVM\n"
"                    where /dev/kvm opens and the CPU has VT-x or AMD-V)\n"
"                      hypermem-run --vmm qemu --accel tcg --kernel bzImage\n"
"  --qemu-doorbell auto|on|off  QEMU's ivshmem device: on, ivshmem-doorbell;\n"
"                    off, ivshmem-plain with no doorbell, the host polling\n"
"                    (default auto: off on a machine it starts that has\n"
"                    no MSI-X, else on)\n"
"                      hypermem-run --vmm qemu --qemu-doorbell off ...\n"
"  --qemu-socket PATH  serve a QEMU you start (implies --vmm qemu): prints\n"
"                    the options to give it, runs until it exits\n"
"                      hypermem-run --qemu-socket /tmp/hm.sock script.lua\n"
"  --attach QMP      hot-plug the device into the running QEMU whose QMP\n"
"                    socket is QMP (implies --vmm qemu), unplug it at the end\n"
"                      hypermem-run --attach /tmp/vm.qmp script.lua\n"
"  --drive IMAGE     with --vmm qemu: a raw disk image as /dev/vda (virtio);\n"
"                    the guest's writes go to a temporary file, not IMAGE\n"
"                      hypermem-run --vmm qemu --drive disk.img \\\n"
"                        --kernel vmlinuz --append root=/dev/vda ps.lua\n"
"  --qemu-arg ARG    with --vmm qemu: one more argument for QEMU, after ours\n"
"                    (repeat it, once per argument)\n"
"                      hypermem-run --vmm qemu --qemu-arg -device \\\n"
"                        --qemu-arg virtio-rng-pci --kernel bzImage\n"
"  --qemu-user USER  serve a QEMU that runs as USER (a name or a uid), and\n"
"                    no other (default: this user's own)\n"
"                      hypermem-run --qemu-socket /tmp/hm.sock \\\n"
"                        --qemu-user libvirt-qemu script.lua\n"
"  --json            JSON Lines on stdout: one object per event, script\n"
"                    output line, console line and the result\n"
"                      hypermem-run --json | python3 -m json.tool --json-lines\n"
"  -q, --quiet       only the script's output (no guest console, no summary)\n"
"                      hypermem-run -q script.lua\n"
"  -v, --verbose     also every event and guest-tiny's syscall trace\n"
"                      hypermem-run -v\n"
"  --config FILE     Python plugins: a penguin-style YAML config naming\n"
"                    them and their arguments (docs/penguin.md)\n"
"                      hypermem-run --config project/config.yaml\n"
"  --plugin-arg NAME=VALUE  Python plugins: an argument for every plugin,\n"
"                    PLUGIN.NAME=VALUE for one (repeat it); outdir=DIR\n"
"                    the folder they write to\n"
"                      hypermem-run --plugin-arg outdir=out a.py b.py\n"
"  --version         print the version and exit\n"
"  -h, --help        print this help and exit\n"
"\n"
"exit codes: 0 the guest ran to its end (or the script called hm.stop()),\n"
"1 script error, 2 usage error, 3 the guest crashed or did not finish,\n"
"4 KVM is not usable, 5 timeout.\n"
"\n"
"With --kernel, a terminal on stdin is the guest's serial console input\n"
"(raw mode; Ctrl-C still ends hypermem-run).\n"
"\n"
"Lua API (module hm), see hypermem-run(1):\n"
"  hm.on_syscall(name, \"enter\"|\"return\", [filter,] function(ev) ... end)\n"
"  hm.on_user_event([code,] [filter,] function(ev) ... end)   ev.code, ev.args\n"
"  hm.on_process(\"exec\"|\"exit\"|\"fork\", [filter,] function(ev) ... end)\n"
"  filter: {pid=, comm=, ret=, arg1..arg6= or argument names}, each a\n"
"  value or {lo, hi}; the guest raises only what the handlers want\n"
"  hm.read_bytes read_str read_int read_long read_ptr\n"
"  hm.write_bytes write_str write_int write_long write_ptr\n"
"  hm.get_proc_args get_proc_env get_proc_pid read_fd_name read_file\n"
"  hm.read_socket_info skip set_arg set_return syscall_name stop\n"
"  hm.arch() pointer_size(): the guest's architecture, its pointers' bytes\n"
"  hm.processes() hm.maps([pid]) hm.fds([pid]) hm.exe([pid]) hm.cwd([pid])\n"
"  hm.write_file(path, data [, offset [, flags]])  hm.use_process(pid)\n";

enum {
	OPT_VALUED = 256,	/* --name VALUE: run_set_option()'s */
	OPT_JSON, OPT_VERSION,
	OPT_PYTHON,		/* python3 -m hypermem's alone */
};

/* Set by an option only Python plugins take: the run is Python's. */
static int python_only;

static int parse_option(int c, const char *name, struct options *o)
{
	switch (c) {
	case OPT_VALUED:
		return run_set_option(o, name, optarg);
	case OPT_JSON:
		o->json = 1;
		return 0;
	case OPT_PYTHON:
		python_only = 1;
		return 0;
	case 'q':
		o->verbosity = VERBOSITY_QUIET;
		return 0;
	case 'v':
		o->verbosity = VERBOSITY_VERBOSE;
		return 0;
	case OPT_VERSION:
		printf("hypermem-run %s (libhypermem, Lua %s.%s)\n",
		       HMRUN_VERSION, LUA_VERSION_MAJOR, LUA_VERSION_MINOR);
		exit(EXIT_OK);
	case 'h':
		fputs(help_text, stdout);
		exit(EXIT_OK);
	default:
		return output_usage_error("unknown option or missing "
					  "argument");
	}
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "guest", required_argument, NULL, OPT_VALUED },
		{ "kernel", required_argument, NULL, OPT_VALUED },
		{ "initrd", required_argument, NULL, OPT_VALUED },
		{ "append", required_argument, NULL, OPT_VALUED },
		{ "cpus", required_argument, NULL, OPT_VALUED },
		{ "mem", required_argument, NULL, OPT_VALUED },
		{ "timeout", required_argument, NULL, OPT_VALUED },
		{ "cmdline", required_argument, NULL, OPT_VALUED },
		{ "vmm", required_argument, NULL, OPT_VALUED },
		{ "accel", required_argument, NULL, OPT_VALUED },
		{ "arch", required_argument, NULL, OPT_VALUED },
		{ "qemu-doorbell", required_argument, NULL, OPT_VALUED },
		{ "qemu-socket", required_argument, NULL, OPT_VALUED },
		{ "attach", required_argument, NULL, OPT_VALUED },
		{ "drive", required_argument, NULL, OPT_VALUED },
		{ "qemu-arg", required_argument, NULL, OPT_VALUED },
		{ "qemu-user", required_argument, NULL, OPT_VALUED },
		{ "config", required_argument, NULL, OPT_PYTHON },
		{ "plugin-arg", required_argument, NULL, OPT_PYTHON },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i = 0, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "qvh", longopts, &i)) != -1) {
		err = parse_option(c, longopts[i].name, o);
		if (err)
			return err;
	}
	/* Several plugins share a guest; a Lua script runs alone. */
	if (optind < argc - 1)
		python_only = 1;
	for (i = optind; python_only && i < argc; i++) {
		if (!ends_with(argv[i], ".py"))
			return output_usage_error("'%s': with Python plugins, "
						  "--config or --plugin-arg, "
						  "no Lua script", argv[i]);
	}
	if (optind < argc)
		o->script = argv[optind];
	return 0;
}

/*
 * Bundled files: beside the build tree's executable, the build tree's own;
 * else under ../share/hypermem from the executable (a relocated install);
 * else the configured install directory.
 */
static int bundled(const char *name, const char *build_path, char *out,
		   size_t cap)
{
	char exe[PATH_MAX], dir[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int len;

	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		*slash = 0;
		if (realpath(HMRUN_BUILD_DIR, dir) && !strcmp(dir, exe)) {
			len = snprintf(out, cap, "%s", build_path);
			return len < 0 || (size_t)len >= cap ? -1 :
			       access(out, R_OK);
		}
		len = snprintf(out, cap, "%s/../share/hypermem/%s", exe, name);
		if (len > 0 && (size_t)len < cap && !access(out, R_OK))
			return 0;
	}
	len = snprintf(out, cap, "%s/%s", HMRUN_DATADIR, name);
	return len < 0 || (size_t)len >= cap ? -1 : access(out, R_OK);
}

static int find_files(struct options *o, char *guest, char *script,
		      size_t cap)
{
	if (!o->guest && !o->kernel && !run_uses_qemu(o)) {
		if (bundled("guest-tiny.elf", HMRUN_BUILD_GUEST, guest, cap))
			return output_usage_error("cannot find the bundled "
						  "guest (%s); name one with "
						  "--guest", guest);
		o->guest = guest;
	}
	if (!o->script) {
		if (bundled("demo.lua", HMRUN_SOURCE_DEMO, script, cap))
			return output_usage_error("cannot find the bundled "
						  "demo script (%s)", script);
		o->script = script;
	} else if (access(o->script, R_OK)) {
		return output_usage_error("%s: cannot read the script",
					  o->script);
	}
	return 0;
}

/*
 * A Python plugin: the same options to `python3 -m hypermem`, with the
 * build tree's package first on the path when this is the build tree's
 * hypermem-run. Returns only when Python cannot be started.
 */
static int run_python(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 3, sizeof(*args));
	const char *old = getenv("PYTHONPATH");
	char path[PATH_MAX * 2];
	int i;

	if (!args)
		return EXIT_USAGE;
	args[0] = HMRUN_PYTHON;
	args[1] = "-m";
	args[2] = "hypermem";
	for (i = 1; i < argc; i++)
		args[i + 2] = argv[i];
	if (!access(HMRUN_BUILD_PYTHONPATH "/hypermem/__init__.py", R_OK)) {
		snprintf(path, sizeof(path), "%s%s%s", HMRUN_BUILD_PYTHONPATH,
			 old && *old ? ":" : "", old ? old : "");
		setenv("PYTHONPATH", path, 1);
	}
	execv(HMRUN_PYTHON, args);
	fprintf(stderr, "hypermem-run: cannot start %s for the Python plugin: "
		"%s; install python3 (scripts/install-deps)\n", HMRUN_PYTHON,
		strerror(errno));
	free(args);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct options o = { .cpus = 1, .timeout_s = 60 };
	char guest[PATH_MAX], script_path[PATH_MAX];
	struct script s = { 0 };
	int err;

	err = parse_options(argc, argv, &o);
	if (!err)
		err = run_check_options(&o);
	if (!err && (python_only || (o.script && ends_with(o.script, ".py"))))
		return run_python(argc, argv);
	if (!err)
		err = find_files(&o, guest, script_path, sizeof(guest));
	if (err)
		return err;
	output_init(o.json, o.verbosity);
	if (script_load(&s, o.script)) {
		output_result(EXIT_SCRIPT, "script error", NULL);
		script_free(&s);
		return EXIT_SCRIPT;
	}
	/* QEMU's accelerator is its own choice (--accel). */
	err = run_uses_qemu(&o) ? 0 : run_check_kvm();
	if (!err)
		err = run_guest(&o, &(struct run_client){ script_started,
				script_event, script_ended, script_outcome,
				&s });
	script_free(&s);
	return err;
}
