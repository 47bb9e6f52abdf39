// SPDX-License-Identifier: MIT
/*
 * VM commands of the shell (vm list|pause|resume|reset|info|migrate) and console input
 * switching between the Kairos shell and the VMs' UARTs.
 */
#include <kairos/compiler.h>
#include <kairos/console.h>
#include <kairos/sched.h>
#include <kairos/shell.h>
#include <kairos/vm.h>
#include <kairos/vuart.h>
#include <stdlib.h>
#include <string.h>

#define CTRL_A 0x01

#define VM_USAGE                                         \
	"vm list | vm pause|resume|reset|info <name> | " \
	"vm migrate <name> <vcpu> <cpu>"

static const char *const state_names[] = { "running", "paused", "stopped" };

/* -1: the Kairos shell; otherwise the VM index input goes to. */
static int target = -1;
static bool escape;

static void vm_list(void)
{
	kprintf("  %-3s %-16s %-8s %-6s %s\n", "id", "name", "state", "vcpus",
		"exits");
	for (unsigned int i = 0; i < vm_count; i++) {
		uint64_t exits = 0;

		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++)
			exits += vms[i].vcpus[k].exits;
		kprintf("  %-3u %-16s %-8s %-6u %llu\n", i, vms[i].cfg->name,
			state_names[vms[i].state], vms[i].nr_vcpus,
			(unsigned long long)exits);
	}
}

static const char *const run_names[] = { "off", "ready", "blocked" };

static void vm_info(const struct vm *vm)
{
	kprintf("  %-5s %-4s %-8s %-12s %s\n", "vcpu", "cpu", "state", "exits",
		"migrations");
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		const struct vcpu *v = &vm->vcpus[k];

		kprintf("  %-5u %-4u %-8s %-12llu %llu\n", k,
			__atomic_load_n(&v->pcpu, __ATOMIC_ACQUIRE),
			run_names[__atomic_load_n(&v->run, __ATOMIC_ACQUIRE)],
			(unsigned long long)v->exits,
			(unsigned long long)v->migrations);
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

static void cmd_vm(const char *args)
{
	size_t n = strcspn(args, " ");
	const char *name = args + n + (args[n] == ' ');
	size_t name_len = strcspn(name, " ");
	char vm_name[64];
	struct vm *vm;

	if (!strncmp(args, "list", n) && n == 4) {
		vm_list();
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
	if (n == 7 && !strncmp(args, "migrate", n)) {
		vm_migrate(vm, name + name_len + (name[name_len] == ' '));
		return;
	}
	if (name[name_len]) {
		kprintf("vm: usage: %s\n", VM_USAGE);
		return;
	}
	if (n == 5 && !strncmp(args, "pause", n))
		vm_pause(vm, true);
	else if (n == 6 && !strncmp(args, "resume", n))
		vm_pause(vm, false);
	else if (n == 5 && !strncmp(args, "reset", n))
		vm_reset(vm);
	else if (n == 4 && !strncmp(args, "info", n))
		vm_info(vm);
	else
		kprintf("vm: unknown subcommand '%.*s'\n", (int)n, args);
}

static const struct shell_command vm_commands[] = {
	{ "vm", VM_USAGE, cmd_vm },
};

static void switch_to(int t)
{
	if (t >= (int)vm_count)
		t = -1;
	target = t;
	if (t < 0) {
		kprintf("\nkairos: console input to the Kairos shell\n");
		shell_prompt();
	} else {
		kprintf("\nkairos: console input to VM %s (Ctrl-A k: back to Kairos)\n",
			vms[t].cfg->name);
	}
}

static void route(char c)
{
	if (escape) {
		escape = false;
		if (c == 'k')
			switch_to(-1);
		else if (c >= '0' && c <= '7')
			switch_to(c - '0');
		else if (c == CTRL_A)
			switch_to(target + 1);
		return;
	}
	if (c == CTRL_A)
		escape = true;
	else if (target < 0)
		shell_input(c);
	else
		vuart_receive(&vms[target], c);
}

int shell_input_target(void)
{
	return __atomic_load_n(&target, __ATOMIC_ACQUIRE);
}

void shell_vm_init(void)
{
	shell_add_commands(vm_commands, ARRAY_SIZE(vm_commands));
}

void shell_poll(void)
{
	int c;

	while ((c = console_getc()) >= 0)
		route((char)c);
}
