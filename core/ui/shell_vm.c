// SPDX-License-Identifier: MIT
/*
 * VM commands of the shell (vm list|stop|start|reset|pause|resume|info,
 * migrate|checkpoint|restore|slots) and console input switching between the
 * Kairos shell, the VMs' UARTs and the control channel.
 */
#include <arch/timer.h>
#include <kairos/ckpt.h>
#include <kairos/compiler.h>
#include <kairos/console.h>
#include <kairos/sched.h>
#include <kairos/task.h>
#include <kairos/time.h>
#include <kairos/ui.h>
#include <kairos/vdev.h>
#include <kairos/vm.h>
#include <kairos/vm_events.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTRL_A 0x01
#define WHY_MAX 160

#define VM_USAGE                                                          \
	"vm list | vm stop|start|reset|pause|resume|info <name> | "       \
	"vm migrate <name> <vcpu> <cpu> | vm checkpoint <name> <slot> | " \
	"vm restore <name> <slot> [pause|catch-up] | vm slots"

/* What `help` says of `vm` (one line per verb). */
#define VM_HELP                                                                       \
	"VM commands; <name> as 'vm list' shows it:\n"                                \
	"    vm list                       the VMs, their state and exits\n"          \
	"    vm stop <name>                stop it: its vCPUs no longer run, its\n"   \
	"                                  memory stays (the board stays on)\n"       \
	"    vm start <name>               boot a stopped VM again, cold, from its\n" \
	"                                  images (also: vm reset, vm restore)\n"     \
	"    vm reset <name>               reboot it from its images now\n"           \
	"    vm pause|resume <name>        hold its vCPUs / let them go on\n"         \
	"    vm info <name>                its vCPUs and checkpoint counters\n"       \
	"    vm migrate <name> <vcpu> <cpu>  move a vCPU to another pCPU\n"           \
	"    vm checkpoint <name> <slot>   save it into a checkpoint slot\n"          \
	"    vm restore <name> <slot> [pause|catch-up]  bring it back from one\n"     \
	"    vm slots                      the checkpoint slots\n"                    \
	"  Each prints one line saying what it did (or why not)."
#define CKPT_USAGE "vm checkpoint <name> <slot>"
#define RESTORE_USAGE "vm restore <name> <slot> [pause|catch-up]"

/* -1: the Kairos shell; otherwise the VM index input goes to. */
static bool escape;

/*
 * Input for a VM whose receive FIFO is full waits at the head of the
 * console's input (a paste is not cut at 63 characters), until the VM
 * reads or for at most INPUT_HOLD_US; then, as a UART overrun would, it is
 * dropped, so that Ctrl-A still reaches Kairos when a VM does not read
 * its UART at all. held_since: when the head first waited (timer ticks),
 * 0 when it does not wait.
 */
#define INPUT_HOLD_US 200000U
static uint64_t held_since;
/* The hold expired: drop input for the VM until its FIFO has room. */
static bool dropping;

/*
 * Console input is taken by this task on pCPU 0: woken by the console
 * UART's interrupt (or its polling tick), by a VM reading its UART while
 * input waits for it, and by the end of that wait.
 */
static struct task console_task;

/* The shared-memory regions, by region and participant, with counts. */
static void shmem_list(void)
{
	for (unsigned int i = 0; i < vm_count; i++)
		for (unsigned int k = 0; k < vms[i].cfg->nr_shmem; k++) {
			struct vm_cmd_shmem m;

			vm_cmd_shmem(&vms[i], k, &m);
			kprintf("  shmem %u: %s index %u %s at IPA 0x%llx (%llu KiB): rung %llu, coalesced %llu, bad %llu, dropped %llu, received %llu\n",
				m.region, vms[i].cfg->name, m.index,
				m.ro ? "ro" : "rw", (unsigned long long)m.ipa,
				(unsigned long long)(m.size >> 10),
				(unsigned long long)m.bells.rung,
				(unsigned long long)m.bells.coalesced,
				(unsigned long long)m.bells.bad,
				(unsigned long long)m.bells.dropped,
				(unsigned long long)m.bells.received);
		}
}

static void vm_list(void)
{
	kprintf("  %-3s %-16s %-8s %-6s %s\n", "id", "name", "state", "vcpus",
		"exits");
	for (unsigned int i = 0; i < vm_count; i++) {
		struct vm_cmd_counts n;

		vm_cmd_counts(&vms[i], &n);
		kprintf("  %-3u %-16s %-8s %-6u %llu\n", i, vms[i].cfg->name,
			vm_cmd_state(&vms[i]), vms[i].nr_vcpus,
			(unsigned long long)n.exits);
	}
	shmem_list();
}

static void vm_info(const struct vm *vm)
{
	struct vm_cmd_counts n;
	const struct ckpt_stats *cs = &n.ckpt;

	kprintf("  %-5s %-4s %-8s %-12s %s\n", "vcpu", "cpu", "state", "exits",
		"migrations");
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		const struct vcpu *v = &vm->vcpus[k];

		kprintf("  %-5u %-4u %-8s %-12llu %llu\n", k,
			__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE),
			vm_cmd_run_state(v), (unsigned long long)v->exits,
			(unsigned long long)v->migrations);
	}
	vm_cmd_counts(vm, &n);
	kprintf("  checkpoints %llu, restores %llu (%llu incremental), last restore copied %llu pages, last operation %llu us\n",
		(unsigned long long)cs->checkpoints,
		(unsigned long long)cs->restores,
		(unsigned long long)cs->incremental,
		(unsigned long long)cs->pages_copied,
		(unsigned long long)time_ticks_to_us(cs->last_ticks));
}

/* Split @buf in place at blanks into at most @max words; their number. */
static size_t split(char *buf, const char **w, size_t max)
{
	size_t n = 0;
	char *p = buf;

	for (;;) {
		p += strspn(p, " ");
		if (!*p)
			return n;
		if (n == max)
			return max + 1;
		w[n++] = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
	}
}

/* "vm checkpoint <name> <slot>": @rest is "<slot>". */
static void vm_checkpoint(struct vm *vm, const char *rest)
{
	char buf[64], why[WHY_MAX];
	struct vm_cmd_result r = { .st = VM_CMD_FAILED };
	const char *w[1];
	unsigned int slot;
	enum ctl_status st;
	uint64_t us;

	snprintf(buf, sizeof(buf), "%s", rest);
	if (split(buf, w, 1) != 1 ||
	    (st = ctl_slot_parse(w[0], &slot, why, sizeof(why))) ==
		    CTL_BAD_REQUEST) {
		kprintf("vm: usage: %s\n", CKPT_USAGE);
		return;
	}
	if (st == CTL_OK)
		vm_cmd_checkpoint(vm, slot, &r);
	if (st != CTL_OK || r.st != VM_CMD_DONE) {
		kprintf("vm: checkpoint of %s into slot %s failed: %s\n",
			vm->cfg->name, w[0], st != CTL_OK ? why : r.why);
		return;
	}
	us = time_ticks_to_us(r.ticks);
	kprintf("vm: %s checkpointed into slot %u (%llu bytes, %llu.%03llu ms)\n",
		vm->cfg->name, slot, (unsigned long long)r.size,
		(unsigned long long)(us / 1000),
		(unsigned long long)(us % 1000));
}

/* "vm restore <name> <slot> [pause|catch-up]": @rest from <slot> on. */
static void vm_restore(struct vm *vm, const char *rest)
{
	char buf[64], why[WHY_MAX];
	enum ckpt_policy policy;
	struct vm_cmd_result r = { .st = VM_CMD_FAILED };
	uint64_t us;
	const char *w[2];
	unsigned int slot;
	enum ctl_status st;
	size_t n;

	snprintf(buf, sizeof(buf), "%s", rest);
	n = split(buf, w, 2);
	if (n < 1 || n > 2 || !ctl_policy_parse(n > 1 ? w[1] : NULL, &policy) ||
	    (st = ctl_slot_parse(w[0], &slot, why, sizeof(why))) ==
		    CTL_BAD_REQUEST) {
		kprintf("vm: usage: %s\n", RESTORE_USAGE);
		return;
	}
	if (st == CTL_OK)
		vm_cmd_restore(vm, slot, policy, &r);
	if (st != CTL_OK || r.st != VM_CMD_DONE) {
		kprintf("vm: restore of %s from slot %s failed: %s\n",
			vm->cfg->name, w[0], st != CTL_OK ? why : r.why);
		return;
	}
	us = time_ticks_to_us(r.ticks);
	kprintf("vm: %s restored from slot %u (%llu pages copied, %llu.%03llu ms)\n",
		vm->cfg->name, slot, (unsigned long long)r.pages_copied,
		(unsigned long long)(us / 1000),
		(unsigned long long)(us % 1000));
}

static void vm_slots(void)
{
	unsigned int nr = ckpt_nr_slots();

	if (!nr) {
		kprintf("vm: there are no checkpoint slots (they need a checkpoint-store in the configuration)\n");
		return;
	}
	/* Only finished images: a checkpoint's CRC is waited for. */
	ckpt_seal_all();
	kprintf("  %-4s %-6s %-8s %-16s %-12s %-16s %s\n", "slot", "state",
		"verified", "vm", "size", "virtual time", "capacity");
	for (unsigned int i = 0; i < nr; i++) {
		struct ckpt_slot_info s;
		uint64_t us;

		if (!ckpt_slot_info(i, &s))
			continue;
		us = s.used ? time_ticks_to_us(s.vcount) : 0;
		kprintf("  %-4u %-6s %-8s %-16s %-12llu %9llu.%06llu s %llu\n",
			i, s.used ? "used" : "empty", s.verified ? "yes" : "no",
			s.used ? s.vm : "-",
			(unsigned long long)(s.used ? s.size : 0),
			(unsigned long long)(us / 1000000),
			(unsigned long long)(us % 1000000),
			(unsigned long long)s.capacity);
	}
}

/* "vm migrate <name> <vcpu> <cpu>": @rest is "<vcpu> <cpu>". */
static void vm_migrate(struct vm *vm, const char *rest)
{
	char *end;
	unsigned long k = strtoul(rest, &end, 10);
	unsigned long cpu;
	const char *why;

	if (end == rest || *end != ' ') {
		kprintf("vm: usage: vm migrate <name> <vcpu> <cpu>\n");
		return;
	}
	rest = end + 1;
	cpu = strtoul(rest, &end, 10);
	if (end == rest || *end) {
		kprintf("vm: usage: vm migrate <name> <vcpu> <cpu>\n");
		return;
	}
	if (k >= vm->nr_vcpus) {
		kprintf("vm: %s has no vCPU %lu (it has %u)\n", vm->cfg->name,
			k, vm->nr_vcpus);
		return;
	}
	why = sched_migrate(&vm->vcpus[k],
			    cpu > UINT32_MAX ? UINT32_MAX : (unsigned int)cpu);
	if (why)
		kprintf("vm: cannot move vCPU %s/%lu to CPU%lu: %s\n",
			vm->cfg->name, k, cpu, why);
	else
		kprintf("vm: vCPU %s/%lu moves to CPU%lu\n", vm->cfg->name, k,
			cpu);
}

static void vm_pause_resume(struct vm *vm, bool pause)
{
	const char *name = vm->cfg->name;
	struct vm_cmd_result r;

	vm_cmd_pause(vm, pause, &r);
	if (r.st == VM_CMD_BAD_STATE) {
		kprintf("vm: %s is stopped: nothing to %s ('vm start %s' boots it)\n",
			name, pause ? "pause" : "resume", name);
		return;
	}
	if (r.st == VM_CMD_ALREADY)
		kprintf("vm: %s is already %s\n", name,
			pause ? "paused" : "running");
	else
		kprintf("vm: %s %s\n", name,
			pause ? "paused (its vCPUs are held; 'vm resume' lets them go on)" :
				"resumed");
}

/* "vm stop|start|reset|pause|resume|info <name>": @verb is @n long. */
static void vm_lifecycle(struct vm *vm, const char *verb, size_t n)
{
	const char *name = vm->cfg->name;
	struct vm_cmd_result r;

	if (n == 5 && !strncmp(verb, "pause", n)) {
		vm_pause_resume(vm, true);
	} else if (n == 6 && !strncmp(verb, "resume", n)) {
		vm_pause_resume(vm, false);
	} else if (n == 4 && !strncmp(verb, "stop", n)) {
		/* vm_operator_stop() confirms: "kairos: VM <name> stopped". */
		vm_cmd_stop(vm, "vm stop; 'vm start' boots it again", &r);
		if (r.st == VM_CMD_ALREADY)
			kprintf("vm: %s is already stopped\n", name);
	} else if (n == 5 && !strncmp(verb, "start", n)) {
		vm_cmd_start(vm, &r);
		if (r.st == VM_CMD_BAD_STATE)
			kprintf("vm: %s is %s ('vm reset %s' reboots it)\n",
				name, vm_cmd_state(vm), name);
	} else if (n == 5 && !strncmp(verb, "reset", n)) {
		vm_cmd_reset(vm, &r); /* says "kairos: VM <name>: reset" */
		if (r.st == VM_CMD_BAD_STATE)
			kprintf("vm: %s is being reset already\n", name);
	} else if (n == 4 && !strncmp(verb, "info", n)) {
		vm_info(vm);
	} else {
		kprintf("vm: unknown subcommand '%.*s'\n", (int)n, verb);
	}
}

static void cmd_vm(const char *args)
{
	size_t n = strcspn(args, " ");
	const char *name = args + n + (args[n] == ' ');
	size_t name_len = strcspn(name, " ");
	char vm_name[64];
	const char *rest;
	struct vm *vm;

	if (!strncmp(args, "list", n) && n == 4) {
		vm_list();
		return;
	}
	if (!strncmp(args, "slots", n) && n == 5) {
		vm_slots();
		return;
	}
	if (name_len >= sizeof(vm_name))
		name_len = sizeof(vm_name) - 1;
	memcpy(vm_name, name, name_len);
	vm_name[name_len] = '\0';
	vm = vm_by_name(vm_name);
	if (!vm) {
		kprintf("vm: %s\n",
			*name ? "no VM of that name (see 'vm list')" :
				"usage: " VM_USAGE);
		return;
	}
	rest = name + name_len + (name[name_len] == ' ');
	if (n == 7 && !strncmp(args, "migrate", n)) {
		vm_migrate(vm, rest);
		return;
	}
	if (n == 10 && !strncmp(args, "checkpoint", n)) {
		vm_checkpoint(vm, rest);
		return;
	}
	if (n == 7 && !strncmp(args, "restore", n)) {
		vm_restore(vm, rest);
		return;
	}
	if (name[name_len]) {
		kprintf("vm: usage: %s\n", VM_USAGE);
		return;
	}
	vm_lifecycle(vm, args, n);
}

static const struct shell_command vm_commands[] = {
	{ "vm", VM_HELP, cmd_vm },
};

static void switch_to(int t)
{
	int old = console_input_owner();

	if (t >= (int)vm_count)
		t = -1;
	console_set_input_owner(t);
	held_since = 0;
	dropping = false;
	/*
	 * The VM that had input streamed its output and may have left a line
	 * open; end it, or its next output would go on that line unlabelled
	 * (and could pass for a control-channel response).
	 */
	if (old >= 0 && old != t)
		vuart_flush(&vms[old]);
	if (t < 0) {
		kprintf("\nkairos: console input to the Kairos shell\n");
		shell_prompt();
	} else {
		kprintf("\nkairos: console input to VM %s (Ctrl-A k: back to Kairos)\n",
			vms[t].cfg->name);
	}
}

void shell_console_start(const char *quit, bool shell_first)
{
	char keys[16] = "0";

	if (vm_count > 1)
		snprintf(keys, sizeof(keys), "0-%u", vm_count - 1);
	kprintf("kairos: console: Ctrl-A then %s gives console input to that VM, Ctrl-A k to the Kairos shell ('help' lists its commands)\n",
		keys);
	if (quit)
		kprintf("kairos: console: %s\n", quit);
	if (vm_count == 1 && !shell_first)
		switch_to(0); /* one VM: its console is what one wants */
	else
		shell_prompt();
}

/* The VM's FIFO is full: false while the character may wait longer. */
static bool hold_expired(void)
{
	uint64_t now = arch_timer_now();

	if (dropping)
		return true;
	if (!held_since) {
		held_since = now ? now : 1;
		task_wake_at(&console_task,
			     held_since + time_us_to_ticks(INPUT_HOLD_US));
		return false;
	}
	if (now - held_since < time_us_to_ticks(INPUT_HOLD_US))
		return false;
	held_since = 0;
	dropping = true;
	return true;
}

/* Act on one input character; false: it must wait (the VM's FIFO). */
static bool route(char c)
{
	int target = console_input_owner();

	if (ctl_active()) {
		ctl_input(c);
		return true;
	}
	if (escape) {
		escape = false;
		if (c == 'k')
			switch_to(-1);
		else if (c >= '0' && c <= '7')
			switch_to(c - '0');
		else if (c == CTRL_A)
			switch_to(target + 1);
		return true;
	}
	if (c == CTRL_A)
		escape = true;
	else if (target < 0)
		shell_input(c);
	else if (!vuart_receive(&vms[target], c))
		return hold_expired();
	held_since = 0;
	dropping = false;
	return true;
}

/* console_input_space(): the held character may go in now. */
static void input_space(int owner)
{
	if (__atomic_load_n(&held_since, __ATOMIC_RELAXED) &&
	    console_input_owner() == owner)
		shell_wake();
}

void shell_wake(void)
{
	task_wake(&console_task);
}

static void console_run(struct task *t)
{
	(void)t;
	shell_poll();
}

int shell_input_target(void)
{
	return console_input_owner();
}

/*
 * What the console says of a VM's state change, whoever made it (the
 * guest, a fault, a command here or on the control channel). Pause,
 * resume, checkpoint and restore are reported by the command that asked.
 */
static void shell_vm_notify(const struct vm_observer *o, struct vm *vm,
			    enum vm_event ev, const char *detail)
{
	const char *name = vm->cfg->name;

	(void)o;
	switch (ev) {
	case VM_EVENT_STOPPED:
	case VM_EVENT_FAILED:
		kprintf("kairos: VM %s stopped (%s)\n", name,
			detail ? detail : "no reason given");
		break;
	case VM_EVENT_RESET: kprintf("kairos: VM %s: reset\n", name); break;
	case VM_EVENT_STARTED:
		kprintf("kairos: VM %s: started (a cold boot from its images)\n",
			name);
		break;
	default: break;
	}
}

static const struct vm_observer shell_observer = {
	.name = "shell",
	.notify = shell_vm_notify,
};

void shell_vm_init(void)
{
	shell_add_commands(vm_commands, ARRAY_SIZE(vm_commands));
	task_register(&console_task, "console", 0, console_run);
	console_set_input_space_hook(input_space);
	/* Before the control channel's: the message precedes its event. */
	vm_observer_register(&shell_observer);
	ctl_init();
}

void shell_poll(void)
{
	int c;

	while ((c = console_peek()) >= 0) {
		if (!route((char)c))
			return;
		console_getc();
	}
}
