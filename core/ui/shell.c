// SPDX-License-Identifier: MIT
/*
 * A small line-oriented shell on the hypervisor console. Other files add
 * commands (the VM commands, `ctl` for the control channel) by table.
 */
#include <arch/cpu.h>
#include <kairos/compiler.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/time.h>
#include <kairos/ui.h>
#include <kairos/version.h>
#include <plat/power.h>
#include <string.h>

#define LINE_MAX 128
#define CTRL_U 0x15

#define MAX_EXTRA_TABLES 4

static void cmd_help(const char *args);

static void cmd_version(const char *args)
{
	(void)args;
	kprintf("Kairos %s\n", KAIROS_VERSION);
}

static const char *selftest_name(const struct cpu *c)
{
	switch (__atomic_load_n(&c->selftest, __ATOMIC_ACQUIRE)) {
	case CPU_SELFTEST_PASSED: return "passed";
	case CPU_SELFTEST_FAILED: return "failed";
	default: return "running";
	}
}

static void cmd_cpus(const char *args)
{
	(void)args;
	for (unsigned int i = 0; i < cpu_count; i++)
		kprintf("CPU%u  MPIDR 0x%llx  %s  timerq self-test %s  timer callbacks %llu\n",
			i, (unsigned long long)cpus[i].mpidr,
			cpus[i].online ? "online " : "offline",
			selftest_name(&cpus[i]),
			(unsigned long long)cpus[i].timerq.fired);
}

static void cmd_poweroff(const char *args)
{
	(void)args;
	kprintf("kairos: powering off\n");
	if (!plat_power_off())
		kprintf("kairos: this board cannot be powered off by software\n");
}

static void cmd_reset(const char *args)
{
	(void)args;
	kprintf("kairos: resetting\n");
	if (!plat_reset())
		kprintf("kairos: this board cannot be reset by software\n");
}

static void cmd_crash(const char *args)
{
	(void)args;
	kprintf("kairos: CPU%u: loading from an unmapped address\n",
		cpu_current()->id);
	arch_trigger_fault();
}

static const struct shell_command commands[] = {
	{ "help", "list commands", cmd_help },
	{ "version", "print the Kairos version", cmd_version },
	{ "cpus", "list physical CPUs", cmd_cpus },
	{ "poweroff", "power the board off (PSCI SYSTEM_OFF)", cmd_poweroff },
	{ "reset", "reset the board (PSCI SYSTEM_RESET)", cmd_reset },
	{ "crash", "fault on this CPU to show the crash report", cmd_crash },
};

static struct {
	const struct shell_command *cmds;
	size_t n;
} tables[1 + MAX_EXTRA_TABLES] = { { commands, ARRAY_SIZE(commands) } };
static size_t nr_tables = 1;
static bool handed_over;

void shell_add_commands(const struct shell_command *cmds, size_t n)
{
	for (size_t t = 0; t < nr_tables; t++)
		if (tables[t].cmds == cmds)
			return; /* added already */
	if (nr_tables < ARRAY_SIZE(tables)) {
		tables[nr_tables].cmds = cmds;
		tables[nr_tables++].n = n;
	}
}

static void cmd_help(const char *args)
{
	(void)args;
	for (size_t t = 0; t < nr_tables; t++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const char *h = tables[t].cmds[i].help;

			/* A help text may be longer than kprintf() formats. */
			kprintf("  %-10s ", tables[t].cmds[i].name);
			console_write(h, strlen(h));
			kprintf("\n");
		}
	}
}

void shell_exec(const char *line)
{
	size_t n;

	while (*line == ' ')
		line++;
	n = strcspn(line, " ");
	if (!n)
		return;
	for (size_t t = 0; t < nr_tables; t++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct shell_command *c = &tables[t].cmds[i];

			if (strlen(c->name) == n &&
			    !strncmp(c->name, line, n)) {
				c->run(line + n + (line[n] == ' '));
				return;
			}
		}
	}
	kprintf("unknown command '%.*s' (try 'help')\n", (int)n, line);
}

void shell_hand_over(void)
{
	handed_over = true;
}

void shell_prompt(void)
{
	kprintf("kairos> ");
}

void shell_input(char c)
{
	static char line[LINE_MAX];
	static size_t len;

	if (c == '\r' || c == '\n') {
		kprintf("\n");
		line[len] = '\0';
		shell_exec(line);
		len = 0;
		if (!handed_over)
			shell_prompt();
		handed_over = false;
	} else if (c == 0x7f || c == '\b') {
		if (len) {
			len--;
			kprintf("\b \b");
		}
	} else if (c == CTRL_U) {
		/* Kill the line: a client starts from a clean one this way. */
		for (; len; len--)
			kprintf("\b \b");
	} else if (c >= ' ' && c < 0x7f && len < LINE_MAX - 1) {
		line[len++] = c;
		kprintf("%c", c);
	}
}
