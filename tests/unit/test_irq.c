// SPDX-License-Identifier: MIT
/*
 * core/irq.c against a scripted interrupt controller: every acknowledged
 * interrupt gets its priority drop before its handler and its deactivation
 * after, with the IAR value handed back untouched; unhandled ones are
 * reported and still deactivated; and the boot check of EOImode=1 passes
 * only on a controller that really keeps an EOIed interrupt active.
 */
#include <kairos/console.h>
#include <kairos/cpu.h>
#include <kairos/irq.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* cmocka.h needs <setjmp.h>, <stdarg.h> and <stddef.h> first. */
#include <cmocka.h>

#include "fake.h"

#define NR 64
/* GICv2 puts the source CPU of an SGI in IAR bits 12:10; keep some there. */
#define RAW_BITS 0x400U

/* A GIC model: a queue of pending INTIDs and per-INTID state. */
static struct {
	uint32_t queue[16];
	unsigned int queued;
	bool active[NR];
	bool enabled[NR];
	bool eoi_deactivates; /* a controller stuck in EOImode 0 */
	bool lose_sgis;
	char log[512];
} gic;

static char out[1024];
static size_t nout;

static void note(const char *what, uint32_t intid)
{
	size_t n = strlen(gic.log);

	snprintf(gic.log + n, sizeof(gic.log) - n, "%s%s %u", n ? ", " : "",
		 what, intid);
}

static void make_pending(uint32_t intid)
{
	assert_true(gic.queued < 16);
	gic.queue[gic.queued++] = intid;
}

static struct irq_ack m_ack(void)
{
	uint32_t intid;

	if (!gic.queued)
		return (struct irq_ack){ IRQ_SPURIOUS, IRQ_SPURIOUS };
	intid = gic.queue[0];
	memmove(gic.queue, gic.queue + 1, --gic.queued * sizeof(uint32_t));
	gic.active[intid] = true;
	note("ack", intid);
	return (struct irq_ack){ intid, intid | RAW_BITS };
}

static void m_eoi(struct irq_ack a)
{
	assert_int_equal(a.raw, a.intid | RAW_BITS);
	note("eoi", a.intid);
	if (gic.eoi_deactivates)
		gic.active[a.intid] = false;
}

static void m_deactivate(struct irq_ack a)
{
	assert_int_equal(a.raw, a.intid | RAW_BITS);
	note("dir", a.intid);
	gic.active[a.intid] = false;
}

static void m_enable(uint32_t intid, bool on)
{
	gic.enabled[intid] = on;
}

static void m_send_sgi(unsigned int cpu, uint32_t sgi)
{
	assert_int_equal(cpu, cpu_current()->id);
	if (gic.enabled[sgi] && !gic.lose_sgis)
		make_pending(sgi);
}

static bool m_is_active(uint32_t intid)
{
	return gic.active[intid];
}

static const struct irqchip model = {
	.name = "model",
	.ack = m_ack,
	.eoi = m_eoi,
	.deactivate = m_deactivate,
	.enable = m_enable,
	.send_sgi = m_send_sgi,
	.is_active = m_is_active,
};

static void con_putc(void *ctx, char c)
{
	(void)ctx;
	if (nout < sizeof(out) - 1)
		out[nout++] = c;
	out[nout] = '\0';
}

static const struct console_ops con = { .name = "out", .putc = con_putc };
static struct cpu cpu0 = { .id = 3 };

static bool handler(uint32_t intid, void *arg)
{
	assert_ptr_equal(arg, &gic);
	/* Priority dropped, not yet deactivated. */
	assert_true(gic.active[intid]);
	note("handle", intid);
	return true;
}

static int setup(void **state)
{
	(void)state;
	fake_reset();
	memset(&gic, 0, sizeof(gic));
	nout = 0;
	out[0] = '\0';
	console_register(&con);
	irq_chip_register(&model);
	arch_cpu_set_current(&cpu0);
	for (uint32_t i = 0; i < NR; i++)
		irq_set_handler(i, NULL, NULL);
	return 0;
}

static void dispatch_order(void **state)
{
	(void)state;
	irq_set_handler(27, handler, &gic);
	irq_set_handler(33, handler, &gic);
	make_pending(27);
	make_pending(33);
	irq_handle();
	assert_string_equal(gic.log, "ack 27, eoi 27, handle 27, dir 27, "
				     "ack 33, eoi 33, handle 33, dir 33");
	assert_false(gic.active[27] || gic.active[33]);
}

static void unhandled_is_reported_and_deactivated(void **state)
{
	(void)state;
	make_pending(40);
	irq_handle();
	assert_string_equal(gic.log, "ack 40, eoi 40, dir 40");
	assert_false(gic.active[40]);
	assert_non_null(strstr(out, "unexpected interrupt 40"));
}

static void split_eoi_verified(void **state)
{
	bool masked = fake_irqs_masked();

	(void)state;
	assert_true(irq_check_split_eoi(15));
	assert_string_equal(gic.log, "ack 15, eoi 15, dir 15");
	assert_false(gic.enabled[15]);             /* left as it was found */
	assert_true(fake_irqs_masked() == masked); /* mask restored */
}

static void split_eoi_refused_in_eoimode0(void **state)
{
	(void)state;
	gic.eoi_deactivates = true;
	assert_false(irq_check_split_eoi(15));
	assert_false(gic.active[15]);
}

static void split_eoi_refused_when_sgi_never_arrives(void **state)
{
	uint64_t start = fake_counter_peek();

	(void)state;
	gic.lose_sgis = true;
	fake_counter_set_step(FAKE_FREQ / 1000); /* 1 ms per counter read */
	assert_false(irq_check_split_eoi(15));
	/* It gave up after its one-second bound, not at once. */
	assert_true(fake_counter_peek() - start >= FAKE_FREQ);
	assert_false(gic.enabled[15]);
}

static void split_eoi_handles_interrupts_in_between(void **state)
{
	(void)state;
	irq_set_handler(27, handler, &gic);
	make_pending(27);
	assert_true(irq_check_split_eoi(15));
	assert_string_equal(gic.log, "ack 27, eoi 27, handle 27, dir 27, "
				     "ack 15, eoi 15, dir 15");
}

static void handler_intid_out_of_range_is_a_bug(void **state)
{
	(void)state;
	expect_assert_failure(irq_set_handler(IRQ_NR_HANDLED, handler, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(dispatch_order, setup),
		cmocka_unit_test_setup(unhandled_is_reported_and_deactivated,
				       setup),
		cmocka_unit_test_setup(split_eoi_verified, setup),
		cmocka_unit_test_setup(split_eoi_refused_in_eoimode0, setup),
		cmocka_unit_test_setup(split_eoi_refused_when_sgi_never_arrives,
				       setup),
		cmocka_unit_test_setup(split_eoi_handles_interrupts_in_between,
				       setup),
		cmocka_unit_test_setup(handler_intid_out_of_range_is_a_bug,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
