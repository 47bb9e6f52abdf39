// SPDX-License-Identifier: MIT
/*
 * Boot on the first CPU (docs/design.md §2): console, board discovery, EL2
 * MMU, GIC, timers, the timerq self-test, secondary CPUs, then the shell.
 */
#include "boot.h"

#include <arch/cpu.h>
#include <arch/mmu.h>
#include <arch/timer.h>
#include <arch/vgic_hw.h>
#include <drivers/bcm2835_pm.h>
#include <drivers/bcm2836_intc.h>
#include <drivers/gic.h>
#include <drivers/psci.h>
#include <drivers/semihosting.h>
#include <drivers/uart.h>
#include <kairos/ckpt.h>
#include <kairos/config.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/run.h>
#include <kairos/sched.h>
#include <kairos/selftest.h>
#include <kairos/task.h>
#include <kairos/time.h>
#include <kairos/ui.h>
#include <kairos/vdev.h>
#include <kairos/version.h>
#include <kairos/vm.h>
#include <kairos/vpmu.h>
#include <kairos/vtimer.h>
#include <libfdt.h>
#include <plat/power.h>
#include <string.h>

/* Linker-script symbols. */
extern char _head[], _etext[], __rodata_start[], __rodata_end[], _end[];

struct board board;
struct cpu cpus[KAIROS_MAX_CPUS];
unsigned int cpu_count;
/** MPIDRs for secondary_entry to find its CPU number (head.S). */
extern uint64_t boot_mpidr_table[KAIROS_MAX_CPUS];

static struct timerq_entry rx_poll_tick;

void boot_stop(void)
{
	arch_cpu_halt();
}

static void map_or_stop(paddr_t base, uint64_t size, enum mmu_kind kind,
			const char *what)
{
	if (size && !arch_mmu_map(base, size, kind)) {
		kprintf("kairos: cannot map %s at 0x%llx (+0x%llx): beyond 48-bit addresses or out of page tables; stopping\n",
			what, (unsigned long long)pa_addr(base),
			(unsigned long long)size);
		boot_stop();
	}
}

static paddr_t sym_pa(const void *p)
{
	return pa_init((uint64_t)(uintptr_t)p);
}

/* Linker symbols mark places, not objects: subtract them as addresses. */
static uint64_t sym_span(const char *start, const char *end)
{
	return (uint64_t)((uintptr_t)end - (uintptr_t)start);
}

static void mmu_setup(const void *fdt)
{
	const struct board_gic *g = &board.gic;
	uint64_t image = sym_span(_head, _end);

	if (!board_in_ram(&board, sym_pa(_head), image)) {
		kprintf("kairos: Kairos was loaded at 0x%llx, outside the RAM the device tree describes; stopping\n",
			(unsigned long long)(uintptr_t)_head);
		boot_stop();
	}
	for (unsigned int i = 0; i < board.nr_mem; i++)
		map_or_stop(board.mem[i].base, board.mem[i].size, MMU_NORMAL_RW,
			    "RAM");
	map_or_stop(sym_pa(_head), sym_span(_head, _etext), MMU_NORMAL_RX,
		    "Kairos text");
	map_or_stop(sym_pa(__rodata_start),
		    sym_span(__rodata_start, __rodata_end), MMU_NORMAL_RO,
		    "Kairos read-only data");
	if (!board_in_ram(&board, sym_pa(fdt), fdt_totalsize(fdt)))
		map_or_stop(sym_pa(fdt), fdt_totalsize(fdt), MMU_NORMAL_RO,
			    "the device tree");
	map_or_stop(board.uart.reg.base, board.uart.reg.size, MMU_DEVICE,
		    "the console UART");
	if (board.pm_wdog.size)
		map_or_stop(board.pm_wdog.base, board.pm_wdog.size, MMU_DEVICE,
			    "the power-management watchdog");
	map_or_stop(g->local.base, g->local.size, MMU_DEVICE,
		    "the local interrupt controller");
	map_or_stop(g->periph.base, g->periph.size, MMU_DEVICE,
		    "the peripheral interrupt controller");
	map_or_stop(g->dist.base, g->dist.size, MMU_DEVICE, "GICD");
	map_or_stop(g->cpu.base, g->cpu.size, MMU_DEVICE, "GICC");
	map_or_stop(g->hyp.base, g->hyp.size, MMU_DEVICE, "GICH");
	map_or_stop(g->vcpu.base, g->vcpu.size, MMU_DEVICE, "GICV");
	for (unsigned int i = 0; i < g->nr_redist; i++)
		map_or_stop(g->redist[i].base, g->redist[i].size, MMU_DEVICE,
			    "GICR");
	arch_mmu_enable();
}

static bool hyp_timer_irq(uint32_t intid, void *arg)
{
	(void)intid;
	(void)arg;
	timerq_expire(&cpu_current()->timerq);
	return true;
}

static bool kick_irq(uint32_t intid, void *arg)
{
	(void)intid;
	(void)arg; /* waking the CPU from WFI is the whole point */
	return true;
}

static bool uart_irq(uint32_t intid, void *arg)
{
	(void)intid;
	(void)arg;
	console_rx_poll();
	/*
	 * The console task takes the input on pCPU 0; waking it kicks that
	 * pCPU, so a vCPU that runs there without exiting (1:1, no slice)
	 * gives way now instead of at its next reschedule.
	 */
	shell_wake();
	return true;
}

bool boot_cpu_local_init(struct cpu *c)
{
	const struct irqchip *chip = irq_chip();

	timerq_init(&c->timerq);
	if (!chip->cpu_init()) {
		kprintf("kairos: CPU%u: interrupt controller setup failed; CPU stopped\n",
			c->id);
		return false;
	}
	if (!irq_check_split_eoi(SPLIT_EOI_SGI)) {
		kprintf("kairos: CPU%u: an EOIed SGI did not stay active until deactivated, or never arrived within a second: the GIC ignores EOImode=1 or does not deliver SGIs; CPU stopped\n",
			c->id);
		return false;
	}
	chip->enable(board.timer.hyp_intid, true);
	chip->enable(board.timer.virt_intid, true);
	/* The PMU is only ever the loaded guest's: its overflow (vpmu.c). */
	if (board.pmu_intid)
		chip->enable(board.pmu_intid, true);
	chip->enable(board.gic.maint_intid, true);
	chip->enable(KICK_SGI, true);
	arch_irq_enable();
	return true;
}

/* Each CPU's timerq self-test, and the task that reports its verdict. */
static struct timerq_selftest cpu_selftest[KAIROS_MAX_CPUS];
static struct task selftest_task[KAIROS_MAX_CPUS];

static void selftest_done(struct timerq_selftest *st)
{
	task_wake(st->arg);
}

/* A task (console printing does not belong in a timerq callback). */
static void selftest_report(struct task *t)
{
	unsigned int id = (unsigned int)(t - selftest_task);
	const struct timerq_selftest *st = &cpu_selftest[id];

	if (!timerq_selftest_finished(st))
		return; /* the run at registration */
	__atomic_store_n(&cpus[id].selftest,
			 st->ok ? CPU_SELFTEST_PASSED : CPU_SELFTEST_FAILED,
			 __ATOMIC_RELEASE);
	kprintf("kairos: CPU%u timerq self-test %s: %s\n", id,
		st->ok ? "passed" : "FAILED", st->msg);
}

/*
 * The self-test runs in the background on the CPU's own timer interrupts
 * (about 4 ms of deadlines): nothing waits for it, VMs start at once.
 */
void boot_cpu_selftest(struct cpu *c)
{
	task_register(&selftest_task[c->id], "selftest", c->id,
		      selftest_report);
	timerq_selftest_start(&cpu_selftest[c->id], &c->timerq, selftest_done,
			      &selftest_task[c->id]);
}

static void setup_time(void)
{
	uint64_t hw = arch_timer_hw_freq(), f = board.timer.dt_freq;

	if (!f)
		f = hw;
	if (!f) {
		kprintf("kairos: timer: CNTFRQ_EL0 reads 0 and the timer node has no clock-frequency; stopping\n");
		boot_stop();
	}
	if (board.timer.dt_freq && hw && board.timer.dt_freq != hw)
		kprintf("kairos: timer: clock-frequency %llu Hz overrides CNTFRQ_EL0 %llu Hz\n",
			(unsigned long long)f, (unsigned long long)hw);
	time_init(f);
}

static enum kairos_err irqc_init(void)
{
	if (board.gic.kind == BOARD_IRQC_BCM2836)
		return bcm2836_intc_init(&board);
	return board.gic.version == 3 ? gicv3_init(&board) : gicv2_init(&board);
}

static void setup_gic(void)
{
	enum kairos_err e = irqc_init();

	if (e) {
		kprintf("kairos: %s: interrupt controller initialisation failed; stopping\n",
			board.gic.path);
		boot_stop();
	}
	irq_set_handler(board.timer.hyp_intid, hyp_timer_irq, NULL);
	irq_set_handler(KICK_SGI, kick_irq, NULL);
	/* Maintenance: the exit itself is the point; the refill follows. */
	irq_set_handler(board.gic.maint_intid, kick_irq, NULL);
	if (board.gic.kind == BOARD_IRQC_BCM2836) {
		kprintf("kairos: no GIC: BCM2836 local interrupt controller at 0x%llx (%s), peripheral controller at 0x%llx; the guests' GICv2 is emulated in software\n",
			(unsigned long long)pa_addr(board.gic.local.base),
			board.gic.path,
			(unsigned long long)pa_addr(board.gic.periph.base));
		return;
	}
	kprintf("kairos: GICv%u at 0x%llx (%s), %u list registers, maintenance INTID %u\n",
		board.gic.version,
		(unsigned long long)pa_addr(board.gic.dist.base),
		board.gic.path, irq_chip()->list_regs, board.gic.maint_intid);
}

static void check_psci(void)
{
	for (unsigned int i = 1; i < board.nr_cpus; i++) {
		if (board.cpus[i].enable == BOARD_CPU_PSCI &&
		    board.psci.conduit == BOARD_CONDUIT_HVC) {
			kprintf("kairos: /psci: property method: \"hvc\" would call Kairos itself at EL2; the firmware's PSCI must use \"smc\"; stopping\n");
			boot_stop();
		}
	}
	psci_init(&board.psci);
	if (board.pm_wdog.size)
		bcm2835_pm_init(pa_to_ptr(board.pm_wdog.base));
}

static void setup_cpus(void)
{
	cpu_count = board.nr_cpus;
	for (unsigned int i = 0; i < cpu_count; i++) {
		cpus[i].id = i;
		cpus[i].mpidr = board.cpus[i].mpidr;
		boot_mpidr_table[i] = board.cpus[i].mpidr;
	}
	if (board.ignored_cpus)
		kprintf("kairos: %u CPUs beyond the first %d ignored\n",
			board.ignored_cpus, KAIROS_MAX_CPUS);
	arch_cpu_set_current(&cpus[0]);
}

static void rx_poll(struct timerq_entry *e, uint64_t now)
{
	console_rx_poll();
	if (console_peek() >= 0)
		shell_wake();
	timerq_arm(&cpu_current()->timerq, e, now + time_us_to_ticks(10000));
}

static void setup_console_input(void)
{
	if (board.uart.intid) {
		irq_set_handler(board.uart.intid, uart_irq, NULL);
		irq_chip()->route(board.uart.intid, 0);
	}
	if (uart_enable_rx_irq(&board.uart)) {
		irq_chip()->enable(board.uart.intid, true);
		/*
		 * What was typed before is in the UART's FIFO, and enabling
		 * cleared its interrupt: QEMU's PL011 raises it again only
		 * when a character arrives at the trigger level. Take it now.
		 */
		console_rx_poll();
	} else {
		/* No interrupt Kairos can take: poll every 10 ms. */
		timerq_entry_init(&rx_poll_tick, rx_poll, NULL);
		timerq_arm(&cpus[0].timerq, &rx_poll_tick, arch_timer_now());
	}
}

/* The images' headers, where the boot loader put them (identity mapped). */
static void read_host(paddr_t at, void *out, size_t len)
{
	memcpy(out, pa_to_ptr(at), len);
}

/* Nothing to run: power off with @st; the shell stays if that fails. */
static void no_vm_to_run(enum power_status st)
{
	kprintf("kairos: no VM to run: powering off (exit status %u)\n",
		(unsigned int)st);
	if (!plat_power_off_status(st))
		kprintf("kairos: this board cannot be powered off by software\n");
}

/*
 * The system configuration (/hypervisor). A refused configuration starts
 * no VM at all and powers the board off with a status that says so; a
 * board without /hypervisor stays up with its shell.
 */
static void start_vms(const void *fdt)
{
	static struct sys_config syscfg;
	struct config_busy busy[] = {
		{ { sym_pa(_head), sym_span(_head, _end) }, "Kairos" },
		{ { sym_pa(fdt), fdt_totalsize(fdt) }, "the device tree" },
	};
	struct board_err err = { .msg = "" };

	if (config_parse(fdt, &board, busy, ARRAY_SIZE(busy), read_host,
			 &syscfg, &err)) {
		kprintf("kairos: configuration refused: %s; no VM started\n",
			err.msg);
		no_vm_to_run(POWER_CONFIG_REFUSED);
		return;
	}
	if (!syscfg.nr_vms) {
		kprintf("kairos: no /hypervisor node: no VMs configured\n");
		return;
	}
	struct vm_hw hw = { board.gic.vcpu.base, board.timer.virt_intid };

	/* No GIC: the guests' CPU interface is emulated (docs/rpi3.md). */
	if (board.gic.kind == BOARD_IRQC_BCM2836)
		arch_vgic_hw_init_sw();
	else
		arch_vgic_hw_init(board.gic.version, board.gic.hyp.base);
	vtimer_init(board.timer.virt_intid);
	vpmu_init(board.pmu_intid);
	ckpt_init(&syscfg);
	vdev_register();
	if (!vm_create_all(&syscfg, &hw)) {
		kprintf("kairos: VM creation failed; no VM started\n");
		no_vm_to_run(POWER_NO_VM);
		return;
	}
	/* Before any vCPU runs: VMs that resume from a checkpoint do. */
	ckpt_resume_at_boot();
	vm_run_all();
}

/*
 * tools/kairos-qemu sets /chosen/kairos,semihosting-exit when it gives
 * QEMU -semihosting-config: only then may Kairos use semihosting.
 */
static void setup_semihosting(const void *fdt)
{
	int chosen = board_dt_path(fdt, "/chosen");

	semihosting_init(chosen >= 0 &&
			 fdt_getprop(fdt, chosen, "kairos,semihosting-exit",
				     NULL) != NULL);
}

/*
 * /chosen/kairos,console-input = "shell": console input starts at the
 * Kairos shell even with one VM (rigs that drive the shell ask for it).
 */
static bool console_input_shell(const void *fdt)
{
	int chosen = board_dt_path(fdt, "/chosen"), len = 0;
	const char *v = chosen < 0 ? NULL :
				     fdt_getprop(fdt, chosen,
						 "kairos,console-input", &len);

	return v && len == (int)sizeof("shell") && !memcmp(v, "shell", 6);
}

/*
 * /chosen/kairos,selftest = "memops": the copy, CRC32C and zeroing
 * routines are checked against references before any VM exists
 * (kairos/selftest.h); the verdict goes to the console.
 */
static void memops_selftest_if_asked(const void *fdt)
{
	int chosen = board_dt_path(fdt, "/chosen"), len = 0;
	const char *v =
		chosen < 0 ? NULL :
			     fdt_getprop(fdt, chosen, "kairos,selftest", &len);
	char msg[400];

	if (!v || len != (int)sizeof("memops") || memcmp(v, "memops", 7) != 0)
		return;
	kprintf("kairos: memops self-test %s: %s\n",
		memops_selftest_all(msg, sizeof(msg)) ? "passed" : "FAILED",
		msg);
}

/* QEMU's virt machine (for the console's hint on how to quit QEMU). */
static bool on_qemu_virt(const void *fdt)
{
	return fdt_node_check_compatible(fdt, 0, "linux,dummy-virt") == 0;
}

static unsigned int count_online(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < cpu_count; i++)
		n += __atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE);
	return n;
}

void boot_primary(void *fdt, unsigned long el)
{
	struct board_err err = { .msg = "" };
	const struct console_ops *con = NULL;

	arch_set_boot_el((unsigned int)el);
	if (board_find_console(fdt, &board.uart, &err) == KAIROS_OK)
		con = uart_console(&board.uart);
	if (!con)
		boot_stop(); /* nowhere to say why */
	console_register(con);
	kprintf("\nKairos %s\n", KAIROS_VERSION);
	if (el != 2) {
		kprintf("kairos: entered at EL%lu, but Kairos must be started at EL2 (QEMU: -M virt,virtualization=on; boards: firmware must enter the hypervisor at EL2); stopping\n",
			el);
		boot_stop();
	}
	if (board_parse(fdt, arch_cpu_mpidr(), &board, &err)) {
		kprintf("kairos: %s; stopping\n", err.msg);
		boot_stop();
	}
	check_psci();
	setup_semihosting(fdt);
	mmu_setup(fdt);
	console_enable_locking();
	setup_cpus();
	setup_time();
	setup_gic();
	if (!boot_cpu_local_init(&cpus[0]))
		boot_stop();
	kprintf("kairos: CPU0 online (MPIDR 0x%llx, EOImode 1)\n",
		(unsigned long long)cpus[0].mpidr);
	boot_cpu_selftest(&cpus[0]);
	memops_selftest_if_asked(fdt);
	__atomic_store_n(&cpus[0].online, true, __ATOMIC_RELEASE);
	smp_start_secondaries();
	kprintf("kairos: %u CPUs, GICv%u%s, %llu MiB RAM, counter %llu Hz\n",
		count_online(), board.gic.version,
		board.gic.kind == BOARD_IRQC_BCM2836 ? " (software)" : "",
		(unsigned long long)(board_ram_size(&board) >> 20),
		(unsigned long long)time_freq());
	shell_vm_init();
	start_vms(fdt);
	setup_console_input();
	shell_console_start(
		on_qemu_virt(fdt) ?
			"QEMU (tools/kairos-qemu): Ctrl-] then x quits" :
			NULL,
		console_input_shell(fdt));
	run_loop();
}
