/* SPDX-License-Identifier: MIT */
/*
 * hypermem wire protocol: the one-page region shared by the host library and
 * the guest agents (Linux module, guest-tiny).
 *
 * This header compiles in three worlds: the host (C99 or C++), a Linux kernel
 * module (__KERNEL__) and a freestanding guest. Every multi-byte field of the
 * region is little-endian whatever the guest's byte order; the helpers
 * hm_le{16,32,64}() convert both ways.
 *
 * A conversation
 * --------------
 * 1. Registration. The guest fills the region with op = HM_OP_REGISTER and a
 *    struct hm_hello in data[], then rings HM_CALL_REGISTER with the region's
 *    guest-physical address. A host that accepts it rewrites the region with
 *    op = HM_RESP_REGISTER_OK and a struct hm_hello_ack before resuming the
 *    vCPU. A guest that still finds HM_OP_REGISTER after the call has no host.
 *    With HM_FEATURE_GUEST_ARCH the hello also says the guest's
 *    architecture and ABI (enum hm_arch), which its pointer width and byte
 *    order must agree with; the host names system calls by it. A host
 *    takes a hello without it as one from a guest of its own architecture.
 * 2. Event. The guest writes op = HM_OP_EVENT and a struct hm_event_record,
 *    then rings HM_CALL_EVENT. The vCPU now belongs to the host until the
 *    event ends.
 * 3. Requests. For each request the host writes op, addr, size (and data
 *    where the op takes input) and resumes the vCPU. The guest performs it,
 *    writes the response code into op, its size and data, and rings
 *    HM_CALL_REPLY. The host validates everything before use.
 * 4. End of event. The host writes op = HM_OP_NONE and resumes; the guest
 *    returns to whatever raised the event. With HM_FEATURE_EVENT_CONTROL
 *    it may write op = HM_OP_EVENT_END instead (see below).
 *
 * Doorbells
 * ---------
 * x86 port I/O (default): a 32-bit OUT of the call number (HM_CALL_*) to
 *   port HM_X86_PORT. For HM_CALL_REGISTER, RBX holds the region's GPA.
 * x86 VMCALL/VMMCALL: KVM only hands KVM_HC_MAP_GPA_RANGE (12) to userspace
 *   (KVM_CAP_EXIT_HYPERCALL), so a hypermem call is encoded as that
 *   hypercall: RAX = 12, RBX = the region's GPA (page aligned),
 *   RCX = HM_VMCALL_NPAGES(call), RDX = 0. The host sets RAX to 0.
 * arm64 HVC: an SMCCC fast call with function ID HM_SMCCC_FUNC(call),
 *   X1 = the region's GPA, forwarded to userspace by KVM's SMCCC filter.
 *   The host sets X0 to 0, or to a negative errno when it refused the call.
 *
 * Response sizes (the `size` field the guest writes back)
 * -------------------------------------------------------
 * HM_RESP_READ_OK       bytes in data[]. READ: == requested. READ_STR: the
 *                       string length without its NUL when a NUL was found
 *                       (< requested), == requested when none was. FD name:
 *                       the name's length (with HM_FEATURE_FD_NAME_OFFSET:
 *                       see below). PROCARGS/PROCENV/READ_FILE: bytes
 *                       of this chunk; addr = total length of the area (argv
 *                       or environment block, or the file's size).
 *                       PROCARGS/PROCENV: all that was asked up to the
 *                       area's end; fewer say that the guest could read
 *                       no further (the host reports EFAULT). READ_FILE:
 *                       a byte at least; none, the end of the file.
 *                       SOCKET_INFO: sizeof(struct hm_socket_info).
 * HM_RESP_READ_PARTIAL  bytes read before the first unreadable byte
 *                       (0 < size < requested); data[] holds them.
 * HM_RESP_READ_FAIL     nothing was read; size = one of the HM_E* values
 *                       below saying why (0 means EFAULT); any other value
 *                       is a protocol error.
 * HM_RESP_READ_NUM      the number itself (READ_PROCPID: the tgid).
 * HM_RESP_WRITE_OK      bytes written, == requested.
 * HM_RESP_WRITE_FAIL    bytes written before the first unwritable byte
 *                       (< requested, may be 0); addr = Linux errno or 0.
 * HM_RESP_REGISTER_OK   sizeof(struct hm_hello_ack).
 *
 * Vectored read (HM_OP_READV, feature HM_FEATURE_READV)
 * ----------------------------------------------------
 * Request: addr = N, the number of pieces (1..HM_READV_MAX_PIECES);
 *   size = N * sizeof(struct hm_readv_piece); data[] holds the N pieces.
 *   N * 16 plus the sum of the pieces' lengths must fit in data[].
 * Response HM_RESP_READ_OK: addr = N; data[] holds the piece table again,
 *   each len replaced by the bytes read of that piece (<= its request; fewer
 *   means the byte after them could not be read), then those bytes, piece
 *   after piece with no padding; size = N * 16 + the sum of the bytes read.
 *   The table stays in front so that the guest never overwrites a piece it
 *   has yet to read. A malformed request gets HM_RESP_READ_FAIL, EINVAL.
 *
 * Names longer than data[] (HM_OP_READ_FD_NAME, HM_FEATURE_FD_NAME_OFFSET)
 * ----------------------------------------------------------------------
 * Request: addr = the fd; size = bytes wanted; data[0..7] = the offset in
 *   the name of the first byte wanted (little-endian 64-bit).
 * Response HM_RESP_READ_OK: addr = the name's whole length (at most
 *   HM_NAME_MAX - 1 bytes, no NUL); size = the bytes from the offset, as
 *   many as were wanted or as the name has left; data[] holds them. An
 *   offset past the name's end gets HM_RESP_READ_FAIL, EINVAL.
 *
 * Event control (HM_OP_EVENT_END, feature HM_FEATURE_EVENT_CONTROL)
 * -----------------------------------------------------------------
 * The host ends an event with op = HM_OP_EVENT_END, addr = 0, size =
 * sizeof(struct hm_event_control) and the record in data[]. At
 * HM_EVENT_SYSCALL_ENTER it may replace the arguments in arg_mask and,
 * with HM_FEATURE_SYSCALL_SKIP too (a guest whose kernel cannot skip a
 * call from where it raises the event does not offer it), set
 * HM_CONTROL_SKIP: the syscall does not run and returns ret. At
 * HM_EVENT_SYSCALL_EXIT it may set HM_CONTROL_RETURN: the syscall returns
 * ret. The event is over either way; a guest applies nothing of a record
 * that is malformed (another size, unknown bits, a control of the other
 * phase or not negotiated, any control of a user event), and has no way
 * to say so.
 *
 * Subscriptions (HM_CALL_SUBSCRIBE, feature HM_FEATURE_SUBSCRIBE)
 * -----------------------------------------------------------------
 * Which events a guest raises is the host's to say. After a registration
 * that negotiated the feature, the guest offers a page of its own memory
 * for the host to write: region op = HM_OP_SUBSCRIBE, addr = the page's
 * GPA (page aligned, outside the region), size = 0, then HM_CALL_SUBSCRIBE.
 * A host that takes it answers op = HM_RESP_SUBSCRIBE_OK and from then on
 * keeps a struct hm_sub_page there, rewriting it whenever it changes its
 * mind, while the guest runs: seq is odd while a rewrite is under way and
 * only grows, by two or more with each one, so a guest reads seq, the
 * table, then seq again, and uses what it read only when both are the
 * same even number.
 *
 * A page with HM_SUB_ACTIVE clear (as the host leaves it until it has a
 * subscription) leaves the choice to the guest, as before the feature.
 * With it, a syscall or user event is raised when HM_SUB_ALL is set or
 * when one of the rules matches: the rule's kind, its nr (any, with
 * HM_RULE_ANY_NR), and every condition. A condition compares a field of
 * the event (an argument, the return value, the pid) with [lo, hi], as
 * unsigned 64-bit values or with HM_COND_SIGNED as signed ones; HM_FIELD_COMM
 * compares the task's name (Linux's comm, 16 bytes with its NUL) with the
 * NUL-padded bytes of lo and hi, little-endian. A guest reads a table that
 * does not fit its page (nr_rules above HM_SUB_MAX_RULES, a count or field
 * it does not know) as HM_SUB_ALL: it raises every event and the host,
 * which checks every event against its rules anyway, drops the rest; a
 * rule with a condition it does not know raises the events that its other
 * conditions let through.
 *
 * With HM_FEATURE_COND_OPS a condition's op (enum hm_cond_op) says more
 * than HM_COND_RANGE's [lo, hi]: value != lo (NE), every bit of lo set
 * (BITS_SET) or clear (BITS_CLEAR), hi 0 and no flag for those three; and
 * on an argument (not of a process event) the string it points to: equal
 * to the needle (STR_EQ), starting with it (STR_PREFIX), ending with it
 * (STR_SUFFIX) or holding it (STR_CONTAINS). The needle is lo's bytes then
 * hi's, as they are (no byte swap), NUL-padded, or all 16 with
 * HM_COND_NEEDLE_CUT: then they are the start (the end, for STR_SUFFIX) of
 * a longer needle, and the guest's check is only a necessary one (an
 * STR_EQ string must then also be longer than 16 bytes). The guest reads
 * at most HM_COND_STR_MAX bytes of the string; one it cannot read (a
 * fault, a context where it may not read user memory) or whose end it did
 * not reach when that could change the answer makes the condition
 * unknown: the event is raised and the host decides. A host writes
 * conditions with op != HM_COND_RANGE only to guests that negotiated the
 * feature, and leaves them out of the others' rules (looser rules: the
 * host checks every event). A guest without the feature reads op as its
 * reserved field, not 0: the rule's other conditions decide, as above.
 *
 * With HM_FEATURE_SUBSCRIBE an event record (HM_OP_EVENT) is followed by
 * a struct hm_event_task: the pid and comm of the task that raised it, so
 * that the host can check pid and comm conditions itself; size is then
 * sizeof(struct hm_event_record) + sizeof(struct hm_event_task).
 *
 * Prefetch (feature HM_FEATURE_PREFETCH, with HM_FEATURE_SUBSCRIBE)
 * -----------------------------------------------------------------
 * A rule may name what the host's handler will read (fetches[]): the
 * string at argument arg (HM_FETCH_STR, at most cap bytes), the buffer at
 * argument arg whose length is argument len_arg (HM_FETCH_BUF, at most
 * cap bytes), the name behind the fd in argument arg (HM_FETCH_FD_NAME),
 * the process's argv block (HM_FETCH_ARGV, arg 0, at most cap bytes; the
 * pid comes with every event already). A guest that
 * raises an event because of such a rule (the first that matches) appends
 * after the task a struct hm_prefetch_header and nr_items items, each a
 * struct hm_prefetch_item and then len bytes padded to a multiple of 8,
 * as many as fit in data[]; size is then the record, the task, the header
 * and header.bytes, the items' bytes. Each item says what the op of the
 * same name would have answered at that moment:
 *   STR      addr = args[arg]; with HM_PREFETCH_NUL a NUL came within
 *            cap bytes: result = len = the string's length, the NUL not
 *            sent; without it none did: result = len = the bytes sent, or
 *            result = -HM_EFAULT and len = 0.
 *   BUF      addr = args[arg]; len = the bytes readable from addr on, up
 *            to min(args[len_arg], cap); result = 0, or -HM_EFAULT when
 *            fewer than asked could be read.
 *   FD_NAME  addr = args[arg], the fd; result = len = the name's length,
 *            or a negative HM_E* value and len = 0.
 *   ARGV     addr = 0; result = the block's whole length and len <= it
 *            the bytes sent from its start, or a negative HM_E* value and
 *            len = 0.
 * Fewer items than the rule's fetches come when data[] is full. The host
 * answers its handler's reads that the items cover from them, byte for
 * byte what the ops would give, and everything else by round trips as
 * before; a write by the handler drops them all. An area that breaks any
 * of this (counts, sizes, an address that is not the argument's, a NUL
 * inside a name) makes the whole event malformed.
 *
 * The whole system (HM_FEATURE_PROC_LIST, _MAPS, _FDS, _PATHS)
 * ------------------------------------------------------------
 * Beyond the task that raised the event: every task, and the memory map,
 * open files, executable and working directory of any process, named by
 * a pid (0: the task that raised the event). Lists come as many entries
 * as fit in the request's size (<= data[]: a reply that is not the last
 * and leaves room for any entry is malformed); each request says where to
 * start (a cursor) and each reply, in addr, where the next one starts, 0
 * after the last entry. The cursors only grow, so a walk ends, and an
 * entry is sent once or, created behind the cursor meanwhile, not at all.
 *   HM_OP_PROC_LIST  addr = the lowest task id wanted. Reply: struct
 *                    hm_proc_entry[] in ascending pid order, threads and
 *                    kernel threads included; size = their bytes.
 *   HM_OP_PROC_MAPS  addr = pid; data[0..7] = the cursor: mappings that
 *                    end above it. Reply: in ascending address order, a
 *                    struct hm_map_entry, then name_len bytes of its name
 *                    (no NUL) padded to a multiple of 8, per mapping; the
 *                    next cursor is the start of the first one not sent.
 *   HM_OP_PROC_FDS   addr = pid; data[0..7] = the lowest fd wanted.
 *                    Reply: a struct hm_fd_entry and its name, padded,
 *                    per open fd in ascending order.
 *   HM_OP_PROC_EXE   addr = pid. Reply: size = the path's length, data[]
 *   HM_OP_PROC_CWD   the path (no NUL); HM_ENAMETOOLONG beyond data[].
 * A name that does not fit in data[] with its entry comes cut short, with
 * HM_NAME_CUT in the entry's flags, so that every entry fits an empty
 * reply. A process that does not exist gets HM_ESRCH; a kernel thread
 * has no map, executable or files (HM_ESRCH too); HM_EAGAIN where the
 * guest cannot look without sleeping from where the event was raised.
 *
 * Process events (HM_FEATURE_PROC_EVENTS, with HM_FEATURE_SUBSCRIBE)
 * ------------------------------------------------------------------
 * Events of kind HM_EVENT_PROCESS, raised only where a rule of the host's
 * subscription asks for them (never by a guest's own choice), nr saying
 * which, and args:
 *   HM_PROC_EXEC  after a successful execve, in the new image (its argv
 *                 and executable are the ops' answers): args[0] = pid,
 *                 args[1] = tgid, args[2] = the pid it had before (a
 *                 thread that execs takes its leader's).
 *   HM_PROC_EXIT  as a task exits, its memory already gone: args[0] =
 *                 pid, args[1] = tgid, args[2] = its status as wait(2)
 *                 reports it, args[3] = 1 when it was its process's last.
 *   HM_PROC_FORK  in the parent, once the child exists: args[0] = the
 *                 parent's pid, args[1] = its tgid, args[2] = the child's
 *                 pid, args[3] = the child's tgid (the parent's for a
 *                 thread).
 * Rules' conditions on args, pid and comm work as for syscalls; event
 * control does not apply.
 *
 * Writing a file (HM_OP_WRITE_FILE, HM_FEATURE_WRITE_FILE)
 * --------------------------------------------------------
 * Request: data[] holds a struct hm_write_file, then path_len bytes of the
 *   path (its NUL the last of them), then data_len bytes to write at the
 *   offset; size = the sum. HM_WRITE_CREATE creates a missing file with
 *   mode, HM_WRITE_TRUNCATE empties it first.
 * Response HM_RESP_WRITE_OK: size = data_len, all written. HM_RESP_WRITE_FAIL:
 *   size = the bytes written before it failed, addr = why (an HM_E* value).
 * HM_EAGAIN where the guest cannot write a file without sleeping from
 * where the event was raised (the module's tracepoints).
 *
 * Another process (HM_OP_USE_PROCESS, HM_FEATURE_PID_ACCESS)
 * ----------------------------------------------------------
 * Request: addr = a pid, 0 for the task that raised the event. Response
 * HM_RESP_READ_NUM, size = its tgid: until the event ends or the next
 * USE_PROCESS, READ, READ_STR, READV, WRITE, READ_PROCARGS, READ_PROCENV,
 * READ_PROCPID, READ_FD_NAME and READ_SOCKET_INFO act on that process
 * (kernel addresses stay the kernel's). HM_ESRCH for no such process or a
 * kernel thread; HM_EAGAIN where the guest cannot reach another process's
 * memory without sleeping (the module's tracepoints). The event's own
 * task comes back with every new event.
 *
 * Mailbox transport (shared memory, QEMU's ivshmem-doorbell)
 * ----------------------------------------------------------
 * Where the host is a process beside a stock QEMU rather than the VMM, no
 * exit stops the vCPU: the regions live in memory both share (the
 * ivshmem device's BAR 2, a memfd on the host) and a call is handed over
 * by a turn word. The host lays the memory out before the guest looks:
 * a struct hm_mailbox_header at offset 0 (its magic written last); a
 * struct hm_mailbox_ctl per slot at 64 * (1 + i); slot i's pages at
 * slots_offset + i * slot_pages * HM_PAGE_SIZE, its region in the first
 * slot_pages - 1 of them and its subscription page the last. Guest CPU n
 * takes slot n (CPUs beyond nr_slots raise nothing); "GPAs" in calls and
 * ops are offsets in the memory, and a region or page anywhere but the
 * slot's is refused. turn = seq << 2 | state, little-endian, changed only
 * by atomic operations. A call:
 *   guest: (its turn: state HM_TURN_GUEST) write call and arg, then
 *          turn = (seq + 1) << 2 | HM_TURN_HOST (a release store), ring
 *          the doorbell (the device's Doorbell register: peer 0, vector
 *          0), then poll until turn is (seq + 1) << 2 | HM_TURN_GUEST:
 *          the host's answer is in the region, as after an exit.
 *   host:  on a doorbell, for any slot whose state is HOST: read call
 *          and arg once, serve it as the exit of that call, write the
 *          region, then compare-and-swap turn from the HOST value it read
 *          to the same seq with HM_TURN_GUEST. Inside an event each
 *          request is such a hand-over and the guest's reply its next
 *          call (HM_CALL_REPLY).
 * A guest that waited past its deadline swaps HOST for HM_TURN_GAVE_UP
 * and does not use the slot until the host, whose own swap then fails,
 * has swapped GAVE_UP back to GUEST (same seq), which it does once it
 * has stopped writing the region; the host library fails the operation
 * in progress with ECONNABORTED (ETIMEDOUT is its own deadline's). A host
 * that finds any other turn than the one it expects treats the call or
 * reply as malformed.
 * A device with no doorbell to the host (QEMU's ivshmem-plain, on machines
 * without MSI-X) has a host that polls the turn words: the header's flags
 * say HM_MAILBOX_HOST_POLLS, and the guest skips the ring (a guest that
 * rings anyway is harmless: the device drops it). Unknown flags are
 * ignored, and a flag never changes the layout.
 */
#ifndef HYPERMEM_PROTOCOL_H
#define HYPERMEM_PROTOCOL_H

#if defined(__KERNEL__)
#include <linux/types.h>
#include <linux/build_bug.h>
#include <asm/byteorder.h>
#else
#include <stdint.h>
#endif

#define HM_PAGE_SIZE 4096u
#define HM_HEADER_SIZE 24u
/* Bytes of payload in a one-page region, the original design's chunk. */
#define HM_DATA_SIZE (HM_PAGE_SIZE - HM_HEADER_SIZE)
/* Largest region a guest may offer at registration (contiguous pages). */
#define HM_MAX_REGION_PAGES 16u

struct hm_region {
	uint64_t op;
	uint64_t addr;
	uint64_t size;
	char data[HM_DATA_SIZE];
};

/* Original op and response numbers: a stable ABI, never renumber. */
enum hm_op {
	HM_OP_NONE = 0,
	HM_OP_READ = 1,
	HM_RESP_READ_OK = 2,
	HM_RESP_READ_FAIL = 3,
	HM_RESP_READ_PARTIAL = 4,
	HM_OP_WRITE = 5,
	HM_RESP_WRITE_OK = 6,
	HM_RESP_WRITE_FAIL = 7,
	HM_OP_READ_FD_NAME = 8,
	HM_OP_READ_PROCARGS = 9,
	HM_OP_READ_SOCKET_INFO = 10,
	HM_OP_READ_STR = 11,
	HM_OP_READ_FILE = 12,
	HM_OP_READ_PROCENV = 13,
	HM_OP_READ_PROCPID = 14,
	HM_RESP_READ_NUM = 15,
	/* Extensions. */
	HM_OP_REGISTER = 16,		/* guest: struct hm_hello in data */
	HM_RESP_REGISTER_OK = 17,	/* host: struct hm_hello_ack in data */
	HM_OP_EVENT = 18,		/* guest: struct hm_event_record */
	HM_OP_READV = 19,		/* host: struct hm_readv_piece[] */
	HM_OP_EVENT_END = 20,		/* host: struct hm_event_control */
	HM_OP_SUBSCRIBE = 21,		/* guest: addr = its table's page */
	HM_RESP_SUBSCRIBE_OK = 22,	/* host: the page is taken */
	HM_OP_PROC_LIST = 23,		/* host: addr = cursor (a task id) */
	HM_OP_PROC_MAPS = 24,		/* host: addr = pid, data = cursor */
	HM_OP_PROC_FDS = 25,		/* host: addr = pid, data = cursor */
	HM_OP_PROC_EXE = 26,		/* host: addr = pid */
	HM_OP_PROC_CWD = 27,		/* host: addr = pid */
	HM_OP_WRITE_FILE = 28,		/* host: struct hm_write_file... */
	HM_OP_USE_PROCESS = 29,		/* host: addr = pid */
};

/* Doorbell call numbers. */
enum hm_call {
	HM_CALL_REGISTER = 1,
	HM_CALL_EVENT = 2,
	HM_CALL_REPLY = 3,
	HM_CALL_SUBSCRIBE = 4,
};

#define HM_X86_PORT 0x484d
#define HM_KVM_HC_MAP_GPA_RANGE 12u
#define HM_VMCALL_MAGIC 0x484d0000u
#define HM_VMCALL_NPAGES(call) (HM_VMCALL_MAGIC | (call))
/* SMCCC fast call, 64-bit, owner "vendor specific hypervisor service". */
#define HM_SMCCC_FUNC(call) (0xc6000000u | 0x4d00u | (call))

#define HM_MAGIC 0x4d4d5948u	/* "HYMM" */
#define HM_VERSION 1u

/*
 * Error numbers carried in responses: Linux's values on every architecture
 * the project supports, whatever the guest's OS. A guest may report only
 * these: each describes the guest's own objects (an address, a descriptor,
 * a file). Numbers that would tell the host's caller something about the
 * host library itself (ETIMEDOUT, ENOTCONN, EBUSY, EPROTO, ENOMEM,
 * EOPNOTSUPP, ECONNABORTED, ...) are refused as protocol errors.
 * HM_ENAMETOOLONG is taken only from READ_FD_NAME and READ_FILE replies (a
 * name or path that does not fit); a guest short of memory reports HM_EIO.
 */
#define HM_EPERM 1
#define HM_ENOENT 2
#define HM_ESRCH 3
#define HM_EIO 5
#define HM_ENXIO 6
#define HM_EBADF 9
#define HM_EAGAIN 11		/* not in the guest's current context */
#define HM_EACCES 13
#define HM_EFAULT 14
#define HM_ENODEV 19
#define HM_ENOTDIR 20
#define HM_EISDIR 21
#define HM_EINVAL 22
#define HM_ENFILE 23
#define HM_EMFILE 24
#define HM_EFBIG 27
#define HM_ENOSPC 28
#define HM_EROFS 30
#define HM_ENAMETOOLONG 36
#define HM_ENOSYS 38
#define HM_ELOOP 40
#define HM_EOVERFLOW 75
#define HM_ENOTSOCK 88

/* The list above but HM_ENAMETOOLONG, for an array initializer. */
#define HM_GUEST_ERRNOS HM_EPERM, HM_ENOENT, HM_ESRCH, HM_EIO, HM_ENXIO, \
	HM_EBADF, HM_EAGAIN, HM_EACCES, HM_EFAULT, HM_ENODEV, HM_ENOTDIR, \
	HM_EISDIR, HM_EINVAL, HM_ENFILE, HM_EMFILE, HM_EFBIG, HM_ENOSPC, \
	HM_EROFS, HM_ENOSYS, HM_ELOOP, HM_EOVERFLOW, HM_ENOTSOCK

#define HM_ENDIAN_LITTLE 1u
#define HM_ENDIAN_BIG 2u

/* Feature bits, negotiated: the ack holds the intersection. */
#define HM_FEATURE_PROCENV (1u << 0)
#define HM_FEATURE_READ_FILE (1u << 1)
#define HM_FEATURE_SOCKET_INFO (1u << 2)
#define HM_FEATURE_KERNEL_ADDR (1u << 3)	/* reads of kernel addresses */
#define HM_FEATURE_READV (1u << 4)		/* HM_OP_READV */
#define HM_FEATURE_FD_NAME_OFFSET (1u << 5)	/* fd names beyond data[] */
#define HM_FEATURE_EVENT_CONTROL (1u << 6)	/* HM_OP_EVENT_END */
#define HM_FEATURE_SYSCALL_SKIP (1u << 7)	/* with it, HM_CONTROL_SKIP */
#define HM_FEATURE_SUBSCRIBE (1u << 8)		/* HM_CALL_SUBSCRIBE */
#define HM_FEATURE_PREFETCH (1u << 9)		/* rules' fetches[] */
#define HM_FEATURE_PROC_LIST (1u << 10)		/* HM_OP_PROC_LIST */
#define HM_FEATURE_PROC_MAPS (1u << 11)		/* HM_OP_PROC_MAPS */
#define HM_FEATURE_PROC_FDS (1u << 12)		/* HM_OP_PROC_FDS */
#define HM_FEATURE_PROC_PATHS (1u << 13)	/* HM_OP_PROC_EXE and _CWD */
#define HM_FEATURE_PROC_EVENTS (1u << 14)	/* HM_EVENT_PROCESS */
#define HM_FEATURE_WRITE_FILE (1u << 15)	/* HM_OP_WRITE_FILE */
#define HM_FEATURE_PID_ACCESS (1u << 16)	/* HM_OP_USE_PROCESS */
#define HM_FEATURE_GUEST_ARCH (1u << 17)	/* hm_hello.arch */
#define HM_FEATURE_COND_OPS (1u << 18)		/* hm_sub_cond.op */

/* Longest fd name, its NUL included: Linux's PATH_MAX. */
#define HM_NAME_MAX 4096u

/* One piece of HM_OP_READV, in the request and in the response. */
struct hm_readv_piece {
	uint64_t addr;
	uint64_t len;
};

#define HM_READV_MAX_PIECES 1024u

/*
 * A guest's architecture and ABI (hm_hello.arch): what its system call
 * numbers, pointers and registers are. All are little-endian.
 */
enum hm_arch {
	HM_ARCH_UNSAID = 0,	/* an older guest: the host's own */
	HM_ARCH_X86_64 = 1,
	HM_ARCH_AARCH64 = 2,
	HM_ARCH_ARM = 3,	/* 32-bit ARM, EABI */
	HM_ARCH_MIPS_O32 = 4,	/* 32-bit MIPS, o32 */
	HM_ARCH_MIPS_N64 = 5,	/* 64-bit MIPS, n64 */
};
#define HM_ARCH_MAX HM_ARCH_MIPS_N64

/* The architecture this file is compiled for; 0 for one not above. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#define HM_ARCH_NATIVE HM_ARCH_UNSAID
#elif defined(__x86_64__)
#define HM_ARCH_NATIVE HM_ARCH_X86_64
#elif defined(__aarch64__)
#define HM_ARCH_NATIVE HM_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARM_EABI__)
#define HM_ARCH_NATIVE HM_ARCH_ARM
#elif defined(__mips__) && defined(__LP64__)
#define HM_ARCH_NATIVE HM_ARCH_MIPS_N64
#elif defined(__mips__)
/* o32, not n32: the compiler's name for it, or a kernel's (sgidefs.h). */
#if defined(_ABIO32)
#if _MIPS_SIM == _ABIO32
#define HM_ARCH_NATIVE HM_ARCH_MIPS_O32
#endif
#elif defined(_MIPS_SIM_ABI32)
#if _MIPS_SIM == _MIPS_SIM_ABI32
#define HM_ARCH_NATIVE HM_ARCH_MIPS_O32
#endif
#endif
#ifndef HM_ARCH_NATIVE
#define HM_ARCH_NATIVE HM_ARCH_UNSAID
#endif
#else
#define HM_ARCH_NATIVE HM_ARCH_UNSAID
#endif

/* Bytes of a pointer of @arch (one of HM_ARCH_*, not UNSAID); 0 else. */
static inline unsigned int hm_arch_pointer_width(uint32_t arch)
{
	switch (arch) {
	case HM_ARCH_X86_64:
	case HM_ARCH_AARCH64:
	case HM_ARCH_MIPS_N64:
		return 8;
	case HM_ARCH_ARM:
	case HM_ARCH_MIPS_O32:
		return 4;
	default:
		return 0;
	}
}

/*
 * With HM_FEATURE_GUEST_ARCH in features the hello is sizeof(struct
 * hm_hello) bytes, and arch says what the guest is; without it, the
 * first HM_HELLO_SIZE_V1 (an older guest's, which an older host insists
 * on: a guest it refuses may register again without the feature).
 */
struct hm_hello {
	uint32_t magic;
	uint16_t version;
	uint8_t pointer_width;	/* 4 or 8 (bytes) */
	uint8_t endianness;	/* HM_ENDIAN_* */
	uint32_t vcpu_index;	/* the guest's CPU number */
	uint32_t region_pages;	/* contiguous pages the guest offers */
	uint64_t features;
	uint32_t arch;		/* enum hm_arch, with HM_FEATURE_GUEST_ARCH */
	uint32_t reserved;	/* 0 */
};
#define HM_HELLO_SIZE_V1 24u

struct hm_hello_ack {
	uint32_t magic;
	uint16_t version;
	uint16_t reserved;
	uint32_t region_pages;	/* pages the host will use, <= offered */
	uint32_t reserved2;
	uint64_t features;
};

enum hm_event_kind {
	HM_EVENT_SYSCALL_ENTER = 1,
	HM_EVENT_SYSCALL_EXIT = 2,
	HM_EVENT_USER = 3,	/* raised by a guest program on purpose */
	HM_EVENT_PROCESS = 4,	/* a process's life: HM_PROC_* in nr */
};

/* nr of an HM_EVENT_PROCESS event. */
enum hm_proc_event {
	HM_PROC_EXEC = 1,
	HM_PROC_EXIT = 2,
	HM_PROC_FORK = 3,
};
#define HM_PROC_EVENT_MAX HM_PROC_FORK

struct hm_event_record {
	uint32_t kind;		/* enum hm_event_kind */
	uint32_t reserved;
	uint64_t nr;		/* syscall number, or the user's code */
	uint64_t args[6];
	uint64_t ret;		/* return value, HM_EVENT_SYSCALL_EXIT only */
};

#define HM_CONTROL_SKIP (1u << 0)	/* entry: skip, return ret */
#define HM_CONTROL_RETURN (1u << 1)	/* exit: return ret instead */
/* Bits of arg_mask: one per argument. */
#define HM_CONTROL_ARGS_ALL 0x3fu

struct hm_event_control {
	uint32_t flags;		/* HM_CONTROL_* */
	uint32_t arg_mask;	/* bit i: args[i] replaces argument i */
	uint64_t args[6];
	uint64_t ret;		/* with HM_CONTROL_SKIP or HM_CONTROL_RETURN */
};

/* After the record, with HM_FEATURE_SUBSCRIBE: who raised the event. */
#define HM_COMM_LEN 16u
struct hm_event_task {
	uint64_t pid;		/* the process (thread group) id */
	char comm[HM_COMM_LEN];	/* its name, NUL-padded; may lack the NUL */
};

/* The subscription page (HM_FEATURE_SUBSCRIBE). */
#define HM_SUB_MAGIC 0x4255534du	/* "MSUB" */
#define HM_SUB_ACTIVE (1u << 0)		/* the host chose; else the guest */
#define HM_SUB_ALL (1u << 1)		/* raise every event */
#define HM_SUB_MAX_CONDS 4u

#define HM_RULE_ANY_NR (1u << 0)	/* every syscall (or user code) */

enum hm_sub_field {
	HM_FIELD_ARG0 = 0,	/* .. HM_FIELD_ARG0 + 5 */
	HM_FIELD_RET = 6,	/* syscall exit only */
	HM_FIELD_PID = 7,
	HM_FIELD_COMM = 8,
};
#define HM_FIELD_MAX HM_FIELD_COMM

#define HM_COND_SIGNED (1u << 0)	/* HM_COND_RANGE: signed bounds */
#define HM_COND_NEEDLE_CUT (1u << 1)	/* a string op's needle is longer */

/* What a condition says of its field (HM_FEATURE_COND_OPS beyond RANGE). */
enum hm_cond_op {
	HM_COND_RANGE = 0,		/* lo <= value <= hi */
	HM_COND_NE = 1,			/* value != lo */
	HM_COND_BITS_SET = 2,		/* (value & lo) == lo */
	HM_COND_BITS_CLEAR = 3,		/* (value & lo) == 0 */
	HM_COND_STR_EQ = 4,		/* the argument's string is the needle */
	HM_COND_STR_PREFIX = 5,		/* starts with it */
	HM_COND_STR_SUFFIX = 6,		/* ends with it */
	HM_COND_STR_CONTAINS = 7,	/* has it somewhere */
};
#define HM_COND_OP_MAX HM_COND_STR_CONTAINS
/* The bytes of an argument's string a guest reads for a string op. */
#define HM_COND_STR_MAX 256u

struct hm_sub_cond {
	uint8_t field;		/* enum hm_sub_field */
	uint8_t flags;		/* HM_COND_* */
	uint8_t op;		/* enum hm_cond_op */
	uint8_t reserved;
	uint32_t reserved2;
	uint64_t lo;		/* see enum hm_cond_op */
	uint64_t hi;
};

enum hm_fetch_what {
	HM_FETCH_STR = 1,
	HM_FETCH_BUF = 2,
	HM_FETCH_FD_NAME = 3,
	HM_FETCH_ARGV = 4,
};
#define HM_FETCH_MAX HM_FETCH_ARGV
#define HM_FETCH_MAX_CAP 65536u
#define HM_SUB_MAX_FETCHES 6u

struct hm_sub_fetch {
	uint8_t what;		/* enum hm_fetch_what */
	uint8_t arg;		/* 0..5 */
	uint8_t len_arg;	/* HM_FETCH_BUF: the length's argument */
	uint8_t reserved;
	uint32_t cap;		/* bytes at most */
};

struct hm_sub_rule {
	uint32_t kind;		/* enum hm_event_kind */
	uint8_t flags;		/* HM_RULE_* */
	uint8_t nr_conds;	/* <= HM_SUB_MAX_CONDS, all must hold */
	uint8_t nr_fetches;	/* <= HM_SUB_MAX_FETCHES (HM_FEATURE_PREFETCH) */
	uint8_t reserved;
	uint64_t nr;		/* syscall number or user event code */
	struct hm_sub_cond conds[HM_SUB_MAX_CONDS];
	struct hm_sub_fetch fetches[HM_SUB_MAX_FETCHES];
};

/* After the event's task, with HM_FEATURE_PREFETCH: see above. */
#define HM_PREFETCH_MAX_ITEMS 16u
struct hm_prefetch_header {
	uint32_t nr_items;
	uint32_t bytes;		/* of the items that follow, padding included */
};

#define HM_PREFETCH_NUL (1u << 0)	/* HM_FETCH_STR: the string ended */

struct hm_prefetch_item {
	uint8_t what;		/* enum hm_fetch_what */
	uint8_t arg;
	uint16_t flags;		/* HM_PREFETCH_* */
	int32_t result;
	uint64_t addr;
	uint64_t len;		/* bytes after the item, before padding */
};

struct hm_sub_header {
	uint32_t magic;		/* HM_SUB_MAGIC once the host took the page */
	uint32_t seq;		/* odd while the host rewrites the page */
	uint32_t flags;		/* HM_SUB_* */
	uint32_t nr_rules;
};

#define HM_SUB_MAX_RULES ((HM_PAGE_SIZE - sizeof(struct hm_sub_header)) / \
			  sizeof(struct hm_sub_rule))

struct hm_sub_page {
	struct hm_sub_header header;
	struct hm_sub_rule rules[HM_SUB_MAX_RULES];
};

/* HM_OP_READ_SOCKET_INFO reply. Addresses are struct sockaddr bytes. */
#define HM_SOCKADDR_MAX 128u
struct hm_socket_info {
	uint32_t family;
	uint32_t type;
	uint32_t protocol;
	uint32_t state;
	uint32_t local_len;
	uint32_t remote_len;
	uint8_t local[HM_SOCKADDR_MAX];
	uint8_t remote[HM_SOCKADDR_MAX];
};

/* HM_OP_WRITE_FILE's request head. */
#define HM_WRITE_CREATE (1u << 0)
#define HM_WRITE_TRUNCATE (1u << 1)
struct hm_write_file {
	uint64_t offset;
	uint32_t flags;		/* HM_WRITE_* */
	uint32_t mode;		/* of a file it creates, e.g. 0644 */
	uint32_t path_len;	/* the path's bytes, its NUL included */
	uint32_t data_len;	/* the bytes to write, after the path */
};

/* HM_OP_PROC_LIST: one task. */
#define HM_PROC_KTHREAD (1u << 0)	/* a kernel thread: no user memory */
struct hm_proc_entry {
	uint64_t pid;		/* the task (thread) id */
	uint64_t tgid;		/* its process: the thread group's id */
	uint64_t ppid;		/* the parent process's tgid; 0: none */
	uint64_t start_ns;	/* when it started, ns since boot */
	uint32_t uid;		/* real user id */
	uint8_t state;		/* as in /proc/PID/stat: 'R', 'S', 'D', ... */
	uint8_t flags;		/* HM_PROC_* */
	uint16_t reserved;
	char comm[HM_COMM_LEN];	/* NUL-padded; may lack the NUL */
};

/* Flags of a listed name. */
#define HM_NAME_CUT (1u << 31)	/* the name did not fit: its start */

/* HM_OP_PROC_MAPS: one mapping; its name follows. */
#define HM_MAP_READ (1u << 0)
#define HM_MAP_WRITE (1u << 1)
#define HM_MAP_EXEC (1u << 2)
#define HM_MAP_SHARED (1u << 3)
struct hm_map_entry {
	uint64_t start;
	uint64_t end;		/* > start */
	uint64_t offset;	/* in the file, bytes */
	uint64_t inode;		/* the file's, 0 without one */
	uint32_t flags;		/* HM_MAP_*, HM_NAME_CUT */
	uint32_t name_len;	/* path, [heap], [stack]...; 0: anonymous */
};

/* HM_OP_PROC_FDS: one open file; its name follows. */
struct hm_fd_entry {
	uint32_t fd;
	uint32_t open_flags;	/* O_* as Linux's x86-64 numbers */
	uint32_t flags;		/* HM_NAME_CUT */
	uint32_t name_len;	/* a path, socket:[inode], pipe:[inode]... */
};

/* The mailbox transport's shared memory (see "Mailbox transport"). */
#define HM_MAILBOX_MAGIC 0x424d4d48u	/* "HMMB" */
#define HM_MAILBOX_VERSION 1u
#define HM_MAILBOX_MAX_SLOTS 63u	/* control words in the first page */
/* The host looks at the turn words by itself: the guest need not ring. */
#define HM_MAILBOX_HOST_POLLS 1u

enum hm_turn {
	HM_TURN_GUEST = 0,
	HM_TURN_HOST = 1,
	HM_TURN_GAVE_UP = 2,
};

#define HM_TURN(seq, state) ((uint32_t)((seq) << 2) | (state))
#define HM_TURN_STATE(turn) ((turn) & 3u)
#define HM_TURN_SEQ(turn) ((turn) >> 2)

struct hm_mailbox_header {
	uint32_t magic;		/* HM_MAILBOX_MAGIC */
	uint16_t version;	/* HM_MAILBOX_VERSION */
	uint16_t flags;		/* HM_MAILBOX_HOST_POLLS, else 0 */
	uint32_t nr_slots;	/* 1..HM_MAILBOX_MAX_SLOTS */
	uint32_t slot_pages;	/* region pages + 1 (the subscription's) */
	uint64_t slots_offset;	/* page aligned */
	uint64_t size;		/* of the whole memory */
	uint8_t pad[32];
};

/* One slot's hand-over, a cache line of its own. */
struct hm_mailbox_ctl {
	uint32_t turn;		/* HM_TURN(seq, state) */
	uint32_t call;		/* enum hm_call */
	uint64_t arg;		/* REGISTER, SUBSCRIBE: the region's offset */
	uint8_t pad[48];
};

#if defined(__cplusplus) && __cplusplus >= 201103L
#define HM_STATIC_ASSERT(c, m) static_assert(c, #m)
#elif defined(__KERNEL__)
#define HM_STATIC_ASSERT(c, m) static_assert(c, #m)
#else
#define HM_STATIC_ASSERT(c, m) \
	typedef char hm_static_assert_##m[(c) ? 1 : -1]
#endif

HM_STATIC_ASSERT(sizeof(struct hm_region) == HM_PAGE_SIZE, region_size);
HM_STATIC_ASSERT(sizeof(struct hm_hello) == 32, hello_size);
HM_STATIC_ASSERT(sizeof(struct hm_hello_ack) == 24, hello_ack_size);
HM_STATIC_ASSERT(sizeof(struct hm_event_record) == 72, event_size);
HM_STATIC_ASSERT(sizeof(struct hm_event_control) == 64, control_size);
HM_STATIC_ASSERT(sizeof(struct hm_socket_info) == 280, socket_info_size);
HM_STATIC_ASSERT(sizeof(struct hm_readv_piece) == 16, readv_piece_size);
HM_STATIC_ASSERT(sizeof(struct hm_event_task) == 24, event_task_size);
HM_STATIC_ASSERT(sizeof(struct hm_sub_cond) == 24, sub_cond_size);
HM_STATIC_ASSERT(sizeof(struct hm_sub_rule) == 160, sub_rule_size);
HM_STATIC_ASSERT(sizeof(struct hm_sub_fetch) == 8, sub_fetch_size);
HM_STATIC_ASSERT(sizeof(struct hm_prefetch_header) == 8, prefetch_hdr_size);
HM_STATIC_ASSERT(sizeof(struct hm_prefetch_item) == 24, prefetch_item_size);
HM_STATIC_ASSERT(sizeof(struct hm_sub_page) <= HM_PAGE_SIZE, sub_page_size);
HM_STATIC_ASSERT(sizeof(struct hm_proc_entry) == 56, proc_entry_size);
HM_STATIC_ASSERT(sizeof(struct hm_map_entry) == 40, map_entry_size);
HM_STATIC_ASSERT(sizeof(struct hm_fd_entry) == 16, fd_entry_size);
HM_STATIC_ASSERT(sizeof(struct hm_write_file) == 24, write_file_size);
HM_STATIC_ASSERT(sizeof(struct hm_mailbox_header) == 64, mailbox_header_size);
HM_STATIC_ASSERT(sizeof(struct hm_mailbox_ctl) == 64, mailbox_ctl_size);

#if defined(__KERNEL__)
#define hm_le16(x) ((uint16_t)le16_to_cpu((__force __le16)(x)))
#define hm_le32(x) ((uint32_t)le32_to_cpu((__force __le32)(x)))
#define hm_le64(x) ((uint64_t)le64_to_cpu((__force __le64)(x)))
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define hm_le16(x) ((uint16_t)__builtin_bswap16(x))
#define hm_le32(x) ((uint32_t)__builtin_bswap32(x))
#define hm_le64(x) ((uint64_t)__builtin_bswap64(x))
#else
#define hm_le16(x) ((uint16_t)(x))
#define hm_le32(x) ((uint32_t)(x))
#define hm_le64(x) ((uint64_t)(x))
#endif

static inline int hm_cond_op_is_str(uint8_t op)
{
	return op >= HM_COND_STR_EQ && op <= HM_COND_STR_CONTAINS;
}

/* Whether lo and hi hold bytes (a name, a needle) rather than numbers. */
static inline int hm_sub_cond_is_text(const struct hm_sub_cond *c)
{
	return c->field == HM_FIELD_COMM || hm_cond_op_is_str(c->op);
}

/*
 * The meaning of a rule, for the host and the guest: each reads a rule in
 * its own byte order, swapped to or from the page's (numbers little-endian,
 * a comm's bytes as they are).
 */
static inline void hm_sub_rule_swap(struct hm_sub_rule *r)
{
	unsigned int i;

	r->kind = hm_le32(r->kind);
	r->nr = hm_le64(r->nr);
	for (i = 0; i < HM_SUB_MAX_CONDS; i++) {
		if (hm_sub_cond_is_text(&r->conds[i]))
			continue;
		r->conds[i].lo = hm_le64(r->conds[i].lo);
		r->conds[i].hi = hm_le64(r->conds[i].hi);
	}
	for (i = 0; i < HM_SUB_MAX_FETCHES; i++)
		r->fetches[i].cap = hm_le32(r->fetches[i].cap);
}

/* Whether the rule is about events of this kind and number. */
static inline int hm_sub_rule_selects(const struct hm_sub_rule *r,
				      uint32_t kind, uint64_t nr)
{
	return r->kind == kind && ((r->flags & HM_RULE_ANY_NR) || r->nr == nr);
}

/* Byte @i of lo then hi: a comm's or a needle's. */
static inline unsigned char hm_sub_cond_byte(const struct hm_sub_cond *c,
					     unsigned int i)
{
	return i < 8 ? ((const unsigned char *)&c->lo)[i] :
		       ((const unsigned char *)&c->hi)[i - 8];
}

/*
 * Whether a condition holds for @value, the field's (an argument, the
 * return value, the pid), or for @comm, the task's HM_COMM_LEN bytes:
 * equal to the name in lo's bytes then hi's up to its NUL, or in all 16.
 * Not for string ops: hm_sub_cond_str_holds().
 */
static inline int hm_sub_cond_holds(const struct hm_sub_cond *c,
				    uint64_t value, const char *comm)
{
	unsigned int i;

	switch (c->field == HM_FIELD_COMM ? (uint8_t)HM_COND_RANGE : c->op) {
	case HM_COND_NE:
		return value != c->lo;
	case HM_COND_BITS_SET:
		return (value & c->lo) == c->lo;
	case HM_COND_BITS_CLEAR:
		return (value & c->lo) == 0;
	}
	if (c->field != HM_FIELD_COMM) {
		if (c->flags & HM_COND_SIGNED)
			return (int64_t)c->lo <= (int64_t)value &&
			       (int64_t)value <= (int64_t)c->hi;
		return c->lo <= value && value <= c->hi;
	}
	for (i = 0; i < HM_COMM_LEN; i++) {
		unsigned char want = hm_sub_cond_byte(c, i);

		if (want != (unsigned char)comm[i])
			return 0;
		if (!want)
			break;
	}
	return 1;
}

/* Whether the needle's @n bytes are those at @s. */
static inline int hm_sub_cond_needle_at(const struct hm_sub_cond *c,
					const char *s, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] != hm_sub_cond_byte(c, i))
			return 0;
	}
	return 1;
}

/* Whether @s, @len bytes read of a string, starts with the needle's @n. */
static inline int hm_sub_cond_str_starts(const struct hm_sub_cond *c,
					 const char *s, uint64_t len,
					 int whole, unsigned int n)
{
	if (len < n)
		return whole ? 0 : -1;
	return hm_sub_cond_needle_at(c, s, n);
}

/*
 * Whether a string op holds for @s, the first @len bytes of the string an
 * argument points to, @whole when they are all of it (its NUL came within
 * what was read): 1, 0, or -1 when only more of the string could tell.
 * The needle is lo's bytes then hi's up to a NUL, or all 16; with
 * HM_COND_NEEDLE_CUT they are the start of a longer one (its end for
 * SUFFIX), so that 1 only says that the whole needle may match.
 */
static inline int hm_sub_cond_str_holds(const struct hm_sub_cond *c,
					const char *s, uint64_t len,
					int whole)
{
	unsigned int n = 0;
	uint64_t at;

	while (n < HM_COMM_LEN && hm_sub_cond_byte(c, n))
		n++;
	switch (c->op) {
	case HM_COND_STR_EQ:
		if (c->flags & HM_COND_NEEDLE_CUT)
			return whole && len <= n ? 0 :
			       hm_sub_cond_str_starts(c, s, len, whole, n);
		if (len != n)
			return len > n || whole ? 0 : -1;
		if (!hm_sub_cond_needle_at(c, s, n))
			return 0;
		return whole ? 1 : -1;
	case HM_COND_STR_PREFIX:
		return hm_sub_cond_str_starts(c, s, len, whole, n);
	case HM_COND_STR_SUFFIX:
		if (!whole)
			return -1;
		return len >= n && hm_sub_cond_needle_at(c, s + len - n, n);
	case HM_COND_STR_CONTAINS:
		for (at = 0; at + n <= len; at++) {
			if (hm_sub_cond_needle_at(c, s + at, n))
				return 1;
		}
		return whole ? 0 : -1;
	default:
		return 0;
	}
}

/*
 * Whether a string op's needle is canonical: NUL-padded after its end;
 * one cut from a longer needle has all 16 bytes.
 */
static inline int hm_sub_cond_needle_valid(const struct hm_sub_cond *c)
{
	unsigned int i, ended = 0;

	for (i = 0; i < HM_COMM_LEN; i++) {
		if (!hm_sub_cond_byte(c, i))
			ended = 1;
		else if (ended)
			return 0;
	}
	return !(ended && (c->flags & HM_COND_NEEDLE_CUT));
}

/*
 * Whether a condition of a rule of @kind is one both sides read: the host
 * refuses a rule with another, the guest raises the events it may match.
 */
static inline int hm_sub_cond_valid(uint32_t kind, const struct hm_sub_cond *c)
{
	if (c->field > HM_FIELD_MAX || c->op > HM_COND_OP_MAX ||
	    (c->flags & ~(HM_COND_SIGNED | HM_COND_NEEDLE_CUT)) ||
	    c->reserved || c->reserved2)
		return 0;
	if (c->field == HM_FIELD_RET && kind != HM_EVENT_SYSCALL_EXIT)
		return 0;
	if (c->field == HM_FIELD_COMM)
		return !c->flags && c->op == HM_COND_RANGE;
	if (hm_cond_op_is_str(c->op))
		return c->field <= HM_FIELD_ARG0 + 5 &&
		       kind != HM_EVENT_PROCESS &&
		       !(c->flags & HM_COND_SIGNED) &&
		       hm_sub_cond_needle_valid(c);
	if (c->flags & HM_COND_NEEDLE_CUT)
		return 0;
	if (c->op != HM_COND_RANGE)
		return !c->flags && !c->hi;
	if (c->flags & HM_COND_SIGNED)
		return (int64_t)c->lo <= (int64_t)c->hi;
	return c->lo <= c->hi;
}

/*
 * Whether a fetch (in the reader's byte order) is one both sides do: the
 * host refuses a rule with another, the guest skips it.
 */
static inline int hm_sub_fetch_valid(const struct hm_sub_fetch *f)
{
	if (f->reserved || f->arg > 5 || f->len_arg > 5 ||
	    f->cap > HM_FETCH_MAX_CAP)
		return 0;
	switch (f->what) {
	case HM_FETCH_STR:
		return f->cap && !f->len_arg;
	case HM_FETCH_BUF:
		return f->cap != 0;
	case HM_FETCH_FD_NAME:
		return !f->cap && !f->len_arg;
	case HM_FETCH_ARGV:
		return f->cap && !f->arg && !f->len_arg;
	default:
		return 0;
	}
}

#endif
