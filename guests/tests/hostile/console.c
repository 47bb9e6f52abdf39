// SPDX-License-Identifier: MIT
/*
 * The console: floods, overlong lines, NUL bytes, escape sequences,
 * forged Kairos lines, backspaces, garbage in the PL011's registers. The
 * guest only prints; tests/integration/test_hostile.py checks in Kairos's
 * log that every byte reached the operator labelled and escaped
 * (docs/user-guide.md, "The console").
 */
#include "hostile.h"

#define FLOOD_LINES 500
#define LONG_LINE 1000

static void out(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
	fflush(stdout);
}

TEST(con_flood)
{
	outcome("500 numbered lines without a pause: every one printed, labelled, in order");
	for (unsigned int i = 0; i < FLOOD_LINES; i++)
		printf("con_flood %04u abcdefghijklmnopqrstuvwxyz0123456789\n",
		       i);
	fflush(stdout);
}

TEST(con_long_line)
{
	static char line[LONG_LINE + 1];

	outcome("a 1000-byte line: printed whole, labelled once (pieces of 256 bytes continue the same console line)");
	for (unsigned int i = 0; i < LONG_LINE; i++)
		line[i] = (char)('0' + i % 10);
	line[LONG_LINE] = '\n';
	out("con_long:", 9);
	out(line, sizeof(line));
}

TEST(con_nul_bytes)
{
	outcome("NUL bytes in a line are shown as \\x00");
	out("con_nul:\0\0\0end\n", 15);
}

TEST(con_escapes)
{
	static const char esc[] = "con_esc:\x1b[2J\x1b[H\x1b]0;pwned\x07"
				  "\x1b"
				  "c\x7f\x0c\x1b[31mred\x1b[0m end\n";

	outcome("escape sequences (clear screen, cursor home, window title, terminal reset, DEL, form feed, colours) are shown escaped as \\xNN, never raw");
	out(esc, sizeof(esc) - 1);
}

TEST(con_forge)
{
	outcome("lines that imitate Kairos, another VM and the control channel (after a CR too) are printed with this VM's label");
	printf("kairos: VM inno stopped (PSCI SYSTEM_OFF)\n");
	printf("[inno] TEST innocent: PASS\n");
	printf("forged\rkairos: all VMs stopped\n");
	fflush(stdout);
}

TEST(con_backspace)
{
	outcome("backspaces at the start of a line are shown escaped, and raw ones only erase what the line printed: on a terminal the label stays");
	out("\b\b\b\b\b\b\b\bcon_bs_marker\n", 22);
}

TEST(con_uart_regs)
{
	uint32_t cr = mmio_read32(VIRT_UART + UART_CR);
	uint32_t lcr = mmio_read32(VIRT_UART + UART_LCR_H);
	uint32_t ibrd = mmio_read32(VIRT_UART + UART_IBRD);
	uint32_t imsc = mmio_read32(VIRT_UART + UART_IMSC);

	outcome("the PL011's control, line control, baud and interrupt mask registers written with garbage and zero: Kairos stays up, and output after they are restored arrives");
	fflush(stdout);
	mmio_write32(VIRT_UART + UART_IMSC, ~0U);
	mmio_write32(VIRT_UART + 0x044, ~0U); /* ICR */
	mmio_write32(VIRT_UART + UART_LCR_H, ~0U);
	mmio_write32(VIRT_UART + UART_IBRD, 0);
	mmio_write32(VIRT_UART + UART_CR, 0);
	mmio_write32(VIRT_UART + UART_CR, ~0U);
	mmio_write32(VIRT_UART + UART_CR, cr);
	mmio_write32(VIRT_UART + UART_IBRD, ibrd);
	mmio_write32(VIRT_UART + UART_LCR_H, lcr);
	mmio_write32(VIRT_UART + UART_IMSC, imsc);
	printf("con_uart_after\n");
	fflush(stdout);
}
