// SPDX-License-Identifier: MIT
/*
 * fdt_check_full() for the fuzzers: the libfdt sources Kairos builds (the
 * Linux kernel's copy) leave out fdt_check.c, so this forwards to the
 * host's libfdt (Debian's libfdt1, which device-tree-compiler brings),
 * loaded on first use. Without it the fuzzer stops at once, saying so.
 */
#include <dlfcn.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

int fdt_check_full(const void *fdt, size_t bufsize)
{
	static int (*check)(const void *, size_t);

	if (!check) {
		void *lib = dlopen("libfdt.so.1", RTLD_NOW | RTLD_LOCAL);

		if (lib)
			*(void **)&check = dlsym(lib, "fdt_check_full");
		if (!check) {
			fprintf(stderr,
				"fuzz: fdt_check_full: cannot load it from libfdt.so.1 (Debian's libfdt1): %s\n",
				dlerror());
			exit(2);
		}
	}
	return check(fdt, bufsize);
}
