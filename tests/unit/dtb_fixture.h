/* SPDX-License-Identifier: MIT */
/*
 * Loading a DTB fixture compiled from tests/unit/dts by 'make unit'.
 * Include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_DTB_FIXTURE_H
#define TESTS_UNIT_DTB_FIXTURE_H

#include <stdio.h>

/** Read fixture @name into @buf (@len bytes); fails the test if absent. */
static inline const void *dtb_fixture(const char *name, void *buf, size_t len)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.dtb", UNIT_DTB_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (built by 'make unit')", path);
	n = fread(buf, 1, len, f);
	fclose(f);
	assert_true(n > 0 && n < len);
	return buf;
}

#endif
