// SPDX-License-Identifier: MIT
/* Physical interrupt dispatch at EL2 through the registered irqchip. */
#include <kairos/console.h>
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

void irq_set_handler(uint32_t intid, irq_handler_fn fn, void *arg)
{
	CHECK(intid < IRQ_MAX_HANDLED);
	handlers[intid].arg = arg;
	handlers[intid].fn = fn;
}

void irq_handle(void)
{
	for (;;) {
		struct irq_ack a = chip->ack();

		if (a.intid >= IRQ_NR_HANDLED)
			return;
		/* EOImode=1: drop priority now, deactivate when handled. */
		chip->eoi(a);
		if (a.intid < IRQ_MAX_HANDLED && handlers[a.intid].fn) {
			handlers[a.intid].fn(a.intid, handlers[a.intid].arg);
		} else {
			/* Deactivated but left enabled: log so it is seen. */
			kprintf("kairos: unexpected interrupt %u, ignored\n",
				a.intid);
		}
		chip->deactivate(a);
	}
}
