// SPDX-License-Identifier: MIT
/*
 * libFuzzer target of the board and system-configuration parsers (make
 * fuzz, mk/fuzz.mk): the input is a board DTB, as boot/main.c gets it,
 * run through board_find_console(), board_parse() and config_parse() (the
 * images' headers it reads are bytes of the input too), and
 * every VM the configuration accepts through guest_dtb_build() as vm.c
 * builds its tree. Whatever the bytes, nothing may read or write outside
 * its buffers, a refusal says why in one line naming a node, and an
 * accepted configuration keeps the promises config.h makes: every VM's
 * memory in RAM, 2 MiB aligned, overlapping neither Kairos, the DTB, the
 * board's reserved memory, the checkpoint store, any image nor another
 * VM; vCPUs on CPUs the board has.
 *
 * Boot trusts the header's totalsize (the boot loader gives no length), so
 * the harness writes the input's length there: libfdt's header checks then
 * keep every read inside the input, which is copied to a buffer of exactly
 * its size so that AddressSanitizer catches a read one byte past the end.
 */
#include <kairos/board.h>
#include <kairos/compiler.h>
#include <kairos/config.h>
#include <kairos/guest_dtb.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What boot/main.c passes as busy: Kairos and the DTB (QEMU virt's). */
static const struct config_busy busy[] = {
	{ { { 0x40200000 }, 0x100000 }, "Kairos" },
	{ { { 0x48000000 }, 0x100000 }, "the device tree" },
};

static _Alignas(8) uint8_t gdtb[GUEST_DTB_MAX];

/* The input, which also stands for the images' bytes (see read_image). */
static const uint8_t *input;
static size_t input_len;

/*
 * How config_parse() reads an image's header: host RAM at @at is the
 * input's bytes from offset @at modulo its length, so mutated addresses
 * and contents reach the kernel header and DTB checks (a dtb whose base is
 * a multiple of the input's length starts with a valid FDT header).
 */
static void read_image(paddr_t at, void *out, size_t len)
{
	for (size_t k = 0; k < len; k++)
		((uint8_t *)out)[k] = input[(pa_addr(at) + k) % input_len];
}

/* Last byte of @r (ranges the parsers accept do not wrap). */
static uint64_t last(struct board_range r)
{
	return pa_addr(r.base) + r.size - 1;
}

static bool overlap(struct board_range a, struct board_range b)
{
	return a.size && b.size && pa_addr(a.base) <= last(b) &&
	       pa_addr(b.base) <= last(a);
}

static void check_board(const struct board *b)
{
	FUZZ_CHECK(b->nr_mem >= 1 && b->nr_mem <= BOARD_MAX_MEM);
	FUZZ_CHECK(b->nr_reserved <= BOARD_MAX_RESERVED);
	FUZZ_CHECK(b->nr_cpus >= 1 && b->nr_cpus <= KAIROS_MAX_CPUS);
	FUZZ_CHECK(b->boot_cpu < b->nr_cpus);
	FUZZ_CHECK(b->gic.version == 2 || b->gic.version == 3);
	FUZZ_CHECK(b->gic.nr_redist <= BOARD_MAX_REDIST);
	FUZZ_CHECK(memchr(b->gic.path, '\0', sizeof(b->gic.path)) != NULL);
	FUZZ_CHECK(memchr(b->uart.path, '\0', sizeof(b->uart.path)) != NULL);
	for (unsigned int i = 0; i < b->nr_mem; i++)
		FUZZ_CHECK(b->mem[i].size > 0);
}

/* A VM config_parse() accepted, as config.h describes it. */
static void check_vm(const struct board *b, const struct sys_config *cfg,
		     unsigned int i)
{
	const struct vm_config *vm = &cfg->vms[i];
	const struct board_range host = { vm->mem_host, vm->mem_size };
	size_t len = strnlen(vm->name, sizeof(vm->name));

	FUZZ_CHECK(len >= 1 && len < sizeof(vm->name));
	FUZZ_CHECK(strspn(vm->name,
			  "abcdefghijklmnopqrstuvwxyz"
			  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == len);
	FUZZ_CHECK(memchr(vm->bootargs, '\0', sizeof(vm->bootargs)) != NULL);
	FUZZ_CHECK(vm->nr_vcpus >= 1 && vm->nr_vcpus <= KAIROS_MAX_VCPUS);
	for (unsigned int k = 0; k < vm->nr_vcpus; k++) {
		FUZZ_CHECK(vm->vcpu_cpu[k] < b->nr_cpus);
		FUZZ_CHECK(!vm->cpu_affinity ||
			   (vm->cpu_affinity & (1U << vm->vcpu_cpu[k])));
	}
	FUZZ_CHECK(vm->priority <= 255);
	FUZZ_CHECK(vm->mem_size && IS_ALIGNED(vm->mem_size, MiB(2)));
	FUZZ_CHECK(IS_ALIGNED(pa_addr(vm->mem_host), MiB(2)));
	FUZZ_CHECK(IS_ALIGNED(ipa_addr(vm->mem_ipa), MiB(2)));
	FUZZ_CHECK(board_in_ram(b, vm->mem_host, vm->mem_size));
	FUZZ_CHECK(vm->kernel.size &&
		   board_in_ram(b, vm->kernel.base, vm->kernel.size));
	FUZZ_CHECK(!vm->initrd.size ||
		   board_in_ram(b, vm->initrd.base, vm->initrd.size));
	FUZZ_CHECK(!vm->dtb.size ||
		   board_in_ram(b, vm->dtb.base, vm->dtb.size));
	FUZZ_CHECK(vm->nr_devices <= VM_MAX_DEVICES);
	FUZZ_CHECK(vm->nr_irqs <= VM_MAX_IRQS);
	for (unsigned int k = 0; k < vm->nr_irqs; k++)
		FUZZ_CHECK(vm->irqs[k] >= 32 && vm->irqs[k] != b->uart.intid);
	FUZZ_CHECK(vm->resume_from < (int)cfg->ckpt_slots);
	/* Its memory overlaps nothing a guest must not write. */
	for (size_t k = 0; k < ARRAY_SIZE(busy); k++)
		FUZZ_CHECK(!overlap(host, busy[k].r));
	for (unsigned int k = 0; k < b->nr_reserved; k++)
		FUZZ_CHECK(!overlap(host, b->reserved[k]));
	FUZZ_CHECK(!overlap(host, cfg->ckpt_store));
	for (unsigned int k = 0; k < cfg->nr_vms; k++) {
		const struct vm_config *o = &cfg->vms[k];
		const struct board_range oh = { o->mem_host, o->mem_size };

		FUZZ_CHECK(!overlap(host, o->kernel));
		FUZZ_CHECK(!overlap(host, o->initrd));
		FUZZ_CHECK(!overlap(host, o->dtb));
		if (k != i) {
			FUZZ_CHECK(!overlap(host, oh));
			FUZZ_CHECK(strcmp(vm->name, o->name) != 0);
		}
	}
}

/* The tree vm.c would build for @vm: a valid FDT within its buffer. */
static void build_guest_dtb(const struct vm_config *vm, unsigned int gic)
{
	struct guest_dtb_params p = {
		.mem_ipa = ipa_addr(vm->mem_ipa),
		.mem_size = vm->mem_size,
		.nr_vcpus = vm->nr_vcpus,
		.gic_version = gic,
		.bootargs = vm->bootargs,
		.initrd_ipa = ipa_addr(vm->mem_ipa) + vm->mem_size / 2,
		.initrd_size = vm->initrd.size,
		.devices = vm->devices,
		.nr_devices = vm->nr_devices,
	};

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		p.vcpu_mpidr[i] = i;
	FUZZ_CHECK(guest_dtb_build(gdtb, sizeof(gdtb), &p) == KAIROS_OK);
	FUZZ_CHECK(fdt_check_full(gdtb, sizeof(gdtb)) == 0);
	FUZZ_CHECK(fdt_totalsize(gdtb) <= sizeof(gdtb));
}

static void check_sys(const struct board *b, const struct sys_config *cfg)
{
	FUZZ_CHECK(cfg->nr_vms <= KAIROS_MAX_VMS);
	FUZZ_CHECK(cfg->ckpt_slots <= CKPT_MAX_SLOTS);
	FUZZ_CHECK(
		!cfg->ckpt_store.size ||
		(cfg->ckpt_slots &&
		 cfg->ckpt_store.size / cfg->ckpt_slots >= CKPT_MIN_SLOT_SIZE &&
		 board_in_ram(b, cfg->ckpt_store.base, cfg->ckpt_store.size)));
	for (unsigned int i = 0; i < cfg->nr_vms; i++) {
		check_vm(b, cfg, i);
		build_guest_dtb(&cfg->vms[i], b->gic.version);
	}
}

/* FUZZ_VERBOSE=1 in the environment: say what each input came to. */
static void say(const char *what, const char *msg)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "fuzz_config: %s: %s\n", what, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct board b;
	static struct sys_config cfg;
	struct board_uart uart;
	struct board_err err;
	uint8_t *fdt;

	if (size < sizeof(struct fdt_header) || size > INT32_MAX)
		return 0;
	fdt = malloc(size);
	if (!fdt)
		return 0;
	memcpy(fdt, data, size);
	fdt_set_totalsize(fdt, (uint32_t)size);

	memset(&err, 0, sizeof(err));
	if (board_find_console(fdt, &uart, &err) != KAIROS_OK)
		fuzz_check_refusal(err.msg, sizeof(err.msg));
	memset(&err, 0, sizeof(err));
	if (board_parse(fdt, 0, &b, &err) != KAIROS_OK) {
		fuzz_check_refusal(err.msg, sizeof(err.msg));
		say("board refused", err.msg);
		free(fdt);
		return 0;
	}
	check_board(&b);
	memset(&err, 0, sizeof(err));
	memset(&cfg, 0xa5, sizeof(cfg)); /* config_parse() must set it all */
	input = fdt;
	input_len = size;
	if (config_parse(fdt, &b, busy, ARRAY_SIZE(busy), read_image, &cfg,
			 &err) == KAIROS_OK) {
		check_sys(&b, &cfg);
		say("accepted", cfg.nr_vms ? "VMs" : "no /hypervisor");
	} else {
		fuzz_check_refusal(err.msg, sizeof(err.msg));
		say("configuration refused", err.msg);
		/* config.c's refusals name the node they are about. */
		FUZZ_CHECK(err.msg[0] == '/');
	}
	free(fdt);
	return 0;
}
