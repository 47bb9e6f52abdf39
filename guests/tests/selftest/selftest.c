// SPDX-License-Identifier: MIT
/*
 * libguest's own tests, run natively on QEMU (tests/integration/
 * test_libguest_native.py): EL0 round trips, the MMU's permissions, the
 * handler registry, command-line parsing and the runner's verdicts,
 * including the ones it prints when a test fails or crashes.
 */
#include <libguest.h>
#include <string.h>

#define SPSR_M_MASK 0xfUL
#define SPSR_M_EL0T 0x0UL
#define EL0_MAGIC 0xe10e10UL

static uint64_t el0_body(void *arg)
{
	uint64_t v;

	/* An EL1 register is UNDEF at EL0 (EC 0): caught, then skipped. */
	__asm__ volatile("mov %0, #0\n\tmrs %0, sctlr_el1" : "=r"(v));
	*(uint64_t *)arg = cpu_index() + 1;
	return EL0_MAGIC + v;
}

TEST(el0)
{
	struct exc_record rec;
	uint64_t seen = 0;
	uint64_t ret;

	exc_catch_begin();
	ret = run_at_el0(el0_body, &seen);
	EXPECT(exc_catch_end(&rec), "mrs sctlr_el1 at EL0 did not trap");
	EXPECT(ret == EL0_MAGIC, "run_at_el0 returned 0x%llx, want 0x%llx",
	       (unsigned long long)ret, (unsigned long long)EL0_MAGIC);
	EXPECT(seen == cpu_index() + 1, "EL0 code wrote %llu, want %u",
	       (unsigned long long)seen, cpu_index() + 1);
	EXPECT(rec.kind == EXC_SYNC_EL0 && ESR_EC(rec.esr) == ESR_EC_UNKNOWN,
	       "trap from EL0: slot %u, EC 0x%llx, want slot %u, EC 0",
	       rec.kind, (unsigned long long)ESR_EC(rec.esr),
	       (unsigned int)EXC_SYNC_EL0);
	EXPECT((rec.spsr & SPSR_M_MASK) == SPSR_M_EL0T,
	       "SPSR_EL1 0x%llx: not EL0t", (unsigned long long)rec.spsr);
	/* Twice: the EL0 context is reusable. */
	exc_catch_begin();
	ret = run_at_el0(el0_body, &seen);
	EXPECT(exc_catch_end(&rec) && ret == EL0_MAGIC,
	       "second run_at_el0 returned 0x%llx", (unsigned long long)ret);
}

extern char _head[];
static uint32_t ret_insn[2] __attribute__((aligned(8))) = { 0xd65f03c0 };
static struct exc_record iabt;

/* An instruction abort: record it and return to the caller (x30). */
static bool iabt_handler(struct exc_frame *frame, unsigned int kind)
{
	if (ESR_EC(frame->esr) != 0x21)
		return false;
	iabt = (struct exc_record){ .taken = true,
				    .kind = kind,
				    .esr = frame->esr,
				    .far = frame->far,
				    .elr = frame->elr };
	frame->elr = frame->x[30];
	return true;
}

TEST(mmu)
{
	struct exc_record rec;
	void (*data_fn)(void) = (void (*)(void))(uintptr_t)ret_insn;

	/* Text is read-only: a permission fault (DFSC 0x0c-0x0f). */
	exc_catch_begin();
	mmio_write32((uintptr_t)_head, 0);
	EXPECT(exc_catch_end(&rec), "a store to the text at 0x%llx worked",
	       (unsigned long long)(uintptr_t)_head);
	EXPECT(ESR_EC(rec.esr) == ESR_EC_DABT_CUR &&
		       (ESR_ISS_DFSC(rec.esr) & 0x3c) == 0x0c,
	       "store to text: ESR 0x%llx, want a permission fault",
	       (unsigned long long)rec.esr);
	/* Data is never executable. */
	iabt.taken = false;
	exc_set_sync_handler(iabt_handler);
	data_fn();
	exc_set_sync_handler(NULL);
	EXPECT(iabt.taken, "code in RAM data at 0x%llx ran",
	       (unsigned long long)(uintptr_t)ret_insn);
	EXPECT(iabt.elr == (uintptr_t)ret_insn,
	       "instruction abort at 0x%llx, want 0x%llx",
	       (unsigned long long)iabt.elr,
	       (unsigned long long)(uintptr_t)ret_insn);
	/* Text is readable. */
	EXPECT(mmio_read32((uintptr_t)_head + 0x38) == 0x644d5241,
	       "no Image magic at 0x%llx",
	       (unsigned long long)(uintptr_t)_head + 0x38);
}

/* Run with: alpha=42 beta=0x10 flag */
TEST_FLAGS(args, TEST_NAMED_ONLY)
{
	uint64_t v;
	char buf[8];

	EXPECT(board_arg_u64("alpha", &v) && v == 42, "alpha=42 not read");
	EXPECT(board_arg_u64("beta", &v) && v == 16, "beta=0x10 not read");
	EXPECT(board_arg("flag", buf, sizeof(buf)) && buf[0] == '\0',
	       "bare flag not found");
	EXPECT(!board_arg("fla", buf, sizeof(buf)), "prefix fla matched flag");
	EXPECT(!board_arg("gamma", buf, sizeof(buf)), "absent gamma found");
	EXPECT(!board_arg_u64("flag", &v), "bare flag read as a number");
	EXPECT(strstr(board_bootargs(), "alpha=42") != NULL, "bootargs \"%s\"",
	       board_bootargs());
}

/* The runner's verdicts when things go wrong (the harness checks them). */
TEST_FLAGS(fails, TEST_NAMED_ONLY)
{
	FAIL("deliberate failure %d", 42);
}

TEST_FLAGS(crash, TEST_NAMED_ONLY)
{
	__asm__ volatile("udf #1");
	printf("# still running after udf\n");
}

static void crash_secondary_fn(void *arg)
{
	(void)arg;
	__asm__ volatile("udf #2");
}

TEST_FLAGS(crash_secondary, TEST_NAMED_ONLY)
{
	EXPECT(cpu_start(1, crash_secondary_fn, NULL) == PSCI_RET_SUCCESS,
	       "CPU_ON(CPU1) failed");
	time_delay_us(3000000);
	FAIL("CPU1's crash went unreported");
}
