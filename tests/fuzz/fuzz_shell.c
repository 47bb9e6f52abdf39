// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of the console's line parsers (make fuzz, mk/fuzz.mk):
 * the Kairos shell (core/ui/shell.c), its VM commands (core/ui/shell_vm.c) and
 * the control channel (core/ui/ctl.c), fed the input as typed characters
 * through the real path - console_rx_poll() into the receive ring,
 * shell_poll() routing them to the shell, a VM's UART or control mode -
 * with two VMs made by vm_create_all() on arch/fake (one pCPU, as the
 * checkpoint tests have it) and a checkpoint store of two slots, so that
 * `vm checkpoint`, `restore`, `migrate`, `input` and the rest reach the
 * code they drive.
 *
 * Each input starts from the same state: the fake, the VMs and the store
 * made afresh, control mode left, console input given back to the shell
 * and its line killed. Besides the sanitizers it checks that in control
 * mode every output line is a response ("@..."), or a Kairos message;
 * and, for each input line, what ctl_parse() promises of the words it
 * splits out (docs/control.md).
 */
#include <kairos/ckpt.h>
#include <kairos/compiler.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/time.h>
#include <kairos/ui.h>
#include <kairos/vdev.h>
#include <kairos/version.h>
#include <kairos/vm.h>
#include <kairos/vm_layout.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* What boot/ and the Makefile provide in the real build. */
const char KAIROS_VERSION[] = "9.8.7-fuzz (gfuzz)";
struct cpu cpus[KAIROS_MAX_CPUS];
unsigned int cpu_count;

#define NR_VMS 2
#define VM_RAM (4UL << 20) /* a kernel at 0x80000 and the DTB at 2 MiB */
#define KERNEL_SIZE 4096
#define STORE_SIZE (16UL << 20) /* two slots, each holds a whole VM */
/* At most this many characters go into the receive ring at a time. */
#define CHUNK 200

static uint8_t ram[NR_VMS][VM_RAM] __attribute__((aligned(1 << 21)));
static uint8_t kernel[NR_VMS][KERNEL_SIZE] __attribute__((aligned(4096)));
static uint8_t store[STORE_SIZE] __attribute__((aligned(4096)));
static uint8_t gicv[4096] __attribute__((aligned(4096)));
static struct sys_config sys;

/* ---- The console: typed input, output checked line by line ---- */

static const uint8_t *in_p;
static size_t in_left;
static bool line_start = true;

static void con_putc(void *ctx, char c)
{
	(void)ctx;
	/*
	 * In control mode a line is a response, an event or a Kairos
	 * message; the '\r' the console puts before '\n' does not count.
	 */
	if (line_start && c != '\r' && c != '\n' && ctl_active())
		FUZZ_CHECK(c == '@' || c == 'k');
	if (c != '\r')
		line_start = c == '\n';
}

static int con_getc(void *ctx)
{
	(void)ctx;
	if (!in_left)
		return -1;
	in_left--;
	return *in_p++;
}

static const struct console_ops con = {
	.name = "fuzz",
	.putc = con_putc,
	.getc = con_getc,
};

/*
 * Let the shell take what was received. Input for a VM whose receive FIFO
 * is full waits at the head of the ring for a while (core/ui/shell_vm.c):
 * time passes, as it does between keys, until the ring is empty.
 */
static void poll_all(void)
{
	shell_poll();
	for (unsigned int i = 0; console_peek() >= 0; i++) {
		FUZZ_CHECK(i < 1000); /* the hold is 200 ms, then input drops */
		fake_counter_advance(FAKE_FREQ / 10);
		shell_poll();
	}
}

/* Type @len bytes of @s: received (a ring's worth at a time), then read. */
static void type(const uint8_t *s, size_t len)
{
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		in_p = s;
		in_left = n;
		console_rx_poll();
		poll_all();
		s += n;
		len -= n;
	}
}

static void type_str(const char *s)
{
	type((const uint8_t *)s, strlen(s));
}

/* ---- The system ---- */

static void add_vm(const char *name, unsigned int nr_vcpus)
{
	unsigned int i = sys.nr_vms++;
	struct vm_config *c = &sys.vms[i];
	struct vm_images img = { .mem_size = VM_RAM };
	struct vm_layout_err err;

	memset(kernel[i], (int)(0x10 + i), KERNEL_SIZE);
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->path, sizeof(c->path), "/hypervisor/vm@%u", i);
	c->profile = VM_PROFILE_VIRT;
	c->mem_ipa = ipa_init(0x40000000UL);
	c->mem_size = VM_RAM;
	c->mem_host = pa_init((uint64_t)(uintptr_t)ram[i]);
	c->nr_vcpus = nr_vcpus;
	c->priority = 1;
	c->resume_from = -1;
	c->kernel.base = pa_init((uint64_t)(uintptr_t)kernel[i]);
	c->kernel.size = KERNEL_SIZE;
	/* What config_parse() does: the images laid out (vm_layout.h). */
	vm_layout_kernel_header(kernel[i], VM_KERNEL_HEADER_SIZE, KERNEL_SIZE,
				&img);
	FUZZ_CHECK(vm_layout_compute(&img, &c->layout, &err));
}

/* One pCPU, the fake irqchip, the VMs and the store as boot makes them. */
static void make_system(void)
{
	static const struct vm_hw hw = { { (uint64_t)(uintptr_t)gicv },
					 FAKE_VTIMER_PPI };

	fake_reset();
	console_register(&con);
	line_start = true;
	memset(cpus, 0, sizeof(cpus));
	cpu_count = 1;
	cpus[0].online = true;
	timerq_init(&cpus[0].timerq);
	arch_cpu_set_current(&cpus[0]);
	irq_chip_register(&fake_irqchip);
	time_init(FAKE_FREQ);
	memset(vms, 0, sizeof(vms));
	vm_count = 0;
	memset(&sys, 0, sizeof(sys));
	add_vm("alpha", 2);
	add_vm("beta", 1);
	sys.ckpt_store =
		(struct board_range){ pa_init((uint64_t)(uintptr_t)store),
				      STORE_SIZE };
	sys.ckpt_slots = 2;
	/* Empty slots: ckpt_init() looks at their magic only. */
	memset(store, 0, 4096);
	memset(store + STORE_SIZE / 2, 0, 4096);
	ckpt_init(&sys);
	vdev_register();
	FUZZ_CHECK(vm_create_all(&sys, &hw));
	vm_run_all();
}

/* The console as after boot: the shell has input, its line is empty. */
static void reset_console(void)
{
	if (ctl_active()) {
		ctl_enter(); /* forgets a half-received request */
		type_str("z exit\r");
	}
	FUZZ_CHECK(!ctl_active());
	/*
	 * Ctrl-U: dropped after a pending Ctrl-A, else it kills the shell's
	 * line or goes to a VM's UART (made afresh anyway). Then Ctrl-A k
	 * gives input back to the shell; Ctrl-U empties its line.
	 */
	type_str("\x15\x01k\x15");
	FUZZ_CHECK(shell_input_target() == -1);
}

/* ---- The request parser on its own ---- */

static bool in_line(const char *p, const char *line, size_t len)
{
	return p >= line && p < line + len;
}

static void check_word(const char *w, const char *line, size_t len)
{
	FUZZ_CHECK(in_line(w, line, len));
	FUZZ_CHECK(w[0] != '\0' && !strpbrk(w, " \t"));
}

/* What ctl_parse() and ctl_slot_parse() promise for one line. */
static void check_parse(const uint8_t *s, size_t len)
{
	char line[CTL_LINE_MAX + 1], why[160];
	struct ctl_request req;
	const char *reason = NULL;
	enum ctl_status st;
	unsigned int slot;

	if (len > CTL_LINE_MAX || memchr(s, '\0', len))
		return;
	memcpy(line, s, len);
	line[len] = '\0';
	st = ctl_parse(line, &req, &reason);
	FUZZ_CHECK(st == CTL_OK || st == CTL_BAD_REQUEST);
	FUZZ_CHECK(req.argc <= CTL_ARGS_MAX);
	if (req.tag) {
		check_word(req.tag, line, len);
		FUZZ_CHECK(strlen(req.tag) <= CTL_TAG_MAX);
	}
	if (st != CTL_OK) {
		FUZZ_CHECK(reason != NULL && reason[0] != '\0');
		return;
	}
	FUZZ_CHECK(req.tag != NULL && req.verb != NULL);
	check_word(req.verb, line, len);
	for (unsigned int i = 0; i < req.argc; i++) {
		check_word(req.argv[i], line, len);
		memset(why, 0, sizeof(why));
		st = ctl_slot_parse(req.argv[i], &slot, why, sizeof(why));
		if (st == CTL_OK)
			FUZZ_CHECK(slot < ckpt_nr_slots());
		else
			fuzz_check_refusal(why, sizeof(why));
	}
}

static void check_lines(const uint8_t *data, size_t size)
{
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\r' || data[i] == '\n') {
			check_parse(data + start, i - start);
			start = i + 1;
		}
	}
}

/* libFuzzer's signature: it may change argc and argv. */
// NOLINTNEXTLINE(readability-non-const-parameter)
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The fake's own checks (cmocka's fail_msg) abort, not exit. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	console_register(&con);
	shell_vm_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	make_system();
	reset_console();
	check_lines(data, size);
	type(data, size);
	return 0;
}
