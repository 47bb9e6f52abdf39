// SPDX-License-Identifier: MIT
/* Physical interrupt dispatch at EL2 through the registered irqchip. */
#include <arch/cpu.h>
#include <arch/timer.h>
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <kairos/panic.h>

/* Handlers for SGIs, PPIs and the SPIs Kairos itself uses. */
#define IRQ_MAX_HANDLED 1020U

static struct {
	irq_handler_fn fn;
	void *arg;
} handlers[IRQ_MAX_HANDLED];

static const struct irqchip *chip;

void irq_chip_register(const struct irqchip *c)
{
	chip = c;
}

const struct irqchip *irq_chip(void)
{
	return chip;
}

void irq_refresh(void)
{
	if (chip->refresh)
		chip->refresh();
}

void irq_set_handler(uint32_t intid, irq_handler_fn fn, void *arg)
{
	CHECK(intid < IRQ_MAX_HANDLED);
	handlers[intid].arg = arg;
	handlers[intid].fn = fn;
}

static void dispatch(struct irq_ack a)
{
	/* EOImode=1: drop priority now, deactivate when handled. */
	chip->eoi(a);
	if (a.intid < IRQ_MAX_HANDLED && handlers[a.intid].fn) {
		if (!handlers[a.intid].fn(a.intid, handlers[a.intid].arg))
			return; /* forwarded: the guest deactivates it */
	} else {
		/* Deactivated but left enabled: log so it is seen. */
		kprintf("kairos: unexpected interrupt %u, ignored\n", a.intid);
	}
	chip->deactivate(a);
}

void irq_handle(void)
{
	for (;;) {
		struct irq_ack a = chip->ack();

		if (a.intid >= IRQ_NR_HANDLED)
			return;
		dispatch(a);
	}
}

bool irq_check_split_eoi(uint32_t sgi)
{
	unsigned long flags = arch_irq_save();
	/* A second: an emulated CPU on a loaded host can take 10 ms and more. */
	uint64_t end = arch_timer_now() + arch_timer_hw_freq();
	bool found = false, active_after_eoi = false, active_after_dir = true;

	chip->enable(sgi, true);
	chip->send_sgi(cpu_current()->id, sgi);
	while (!found && arch_timer_now() < end) {
		struct irq_ack a = chip->ack();

		if (a.intid >= IRQ_NR_HANDLED)
			continue;
		if (a.intid != sgi) {
			dispatch(a);
			continue;
		}
		found = true;
		chip->eoi(a);
		active_after_eoi = chip->is_active(sgi);
		chip->deactivate(a);
		active_after_dir = chip->is_active(sgi);
	}
	chip->enable(sgi, false);
	arch_irq_restore(flags);
	return found && active_after_eoi && !active_after_dir;
}
