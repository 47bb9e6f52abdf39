// SPDX-License-Identifier: MIT
/*
 * console_io (named only): what a guest's console output looks like to the
 * operator (or a control client). A prompt without a newline, then a
 * wait for a key: the prompt must show while the guest waits, and the key
 * must reach it. Then control characters a terminal would act on, a lone
 * CR, and a second prompt and key.
 */
#include <libguest.h>
#include <stdio.h>

#define KEY_WAIT_US 30000000ULL

/* Print @prompt without a newline and wait for a key. */
static int prompt_key(const char *prompt)
{
	uint64_t end = time_us() + KEY_WAIT_US;
	int c;

	printf("%s", prompt);
	fflush(stdout);
	while ((c = uart_getc()) < 0 && time_us() < end)
		time_delay_us(1000);
	if (c >= 0)
		printf("\n# got key 0x%02x\n", (unsigned int)(c & 0xff));
	return c;
}

TEST_FLAGS(console_io, TEST_NAMED_ONLY)
{
	EXPECT(prompt_key("prompt> ") >= 0, "no key within %llu s",
	       (unsigned long long)(KEY_WAIT_US / 1000000));
	printf("# escapes: \x1b[2J\x1b]0;title\x07 form\x0c"
	       "feed del\x7f nul<");
	putchar(0);
	printf(">\n");
	printf("# progress 1\rprogress 2\n");
	EXPECT(prompt_key("done> ") >= 0, "no second key within %llu s",
	       (unsigned long long)(KEY_WAIT_US / 1000000));
}
