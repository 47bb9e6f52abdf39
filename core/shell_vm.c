// SPDX-License-Identifier: MIT
/*
 * VM commands of the shell (vm list|pause|resume|reset) and console input
 * switching between the Kairos shell and the VMs' UARTs.
 */
#include <kairos/compiler.h>
#include <kairos/console.h>
#include <kairos/shell.h>
#include <kairos/vm.h>
#include <kairos/vuart.h>
#include <string.h>

#define CTRL_A 0x01

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

static void cmd_vm(const char *args)
{
	size_t n = strcspn(args, " ");
	const char *name = args + n + (args[n] == ' ');
	struct vm *vm;

	if (!strncmp(args, "list", n) && n == 4) {
		vm_list();
		return;
	}
	vm = vm_by_name(name);
	if (!vm) {
		kprintf("vm: %s\n",
			*name ? "no VM of that name (see 'vm list')" :
				"usage: vm list | vm pause|resume|reset <name>");
		return;
	}
	if (n == 5 && !strncmp(args, "pause", n))
		vm_pause(vm, true);
	else if (n == 6 && !strncmp(args, "resume", n))
		vm_pause(vm, false);
	else if (n == 5 && !strncmp(args, "reset", n))
		vm_reset(vm);
	else
		kprintf("vm: unknown subcommand '%.*s'\n", (int)n, args);
}

static const struct shell_command vm_commands[] = {
	{ "vm", "vm list | vm pause|resume|reset <name>", cmd_vm },
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
