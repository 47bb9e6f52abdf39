// SPDX-License-Identifier: MIT
/*
 * VM life cycle: creation from the configuration (stage 2, devices, vCPU
 * placement), booting images the way QEMU virt does, stop, reset, pause.
 */
#include <arch/cpu.h>
#include <arch/memops.h>
#include <arch/mmu.h>
#include <arch/stage2.h>
#include <arch/timer.h>
#include <arch/vcpu.h>
#include <arch/vgic_hw.h>
#include <kairos/cpu.h>
#include <kairos/guest_dtb.h>
#include <kairos/irq.h>
#include <kairos/log.h>
#include <kairos/panic.h>
#include <kairos/profile_virt.h>
#include <kairos/ptimer.h>
#include <kairos/sched.h>
#include <kairos/time.h>
#include <kairos/vgic.h>
#include <kairos/vm_events.h>
#include <kairos/vm_ram.h>
#include <kairos/vmmio.h>
#include <kairos/vpmu.h>
#include <kairos/vtimer.h>
#include <libfdt.h>
#include <plat/power.h>
#include <string.h>

struct vm vms[KAIROS_MAX_VMS];
unsigned int vm_count;
static struct vm_hw hw;

static uint8_t dtb_buf[GUEST_DTB_MAX] NOINIT __attribute__((aligned(8)));
static struct spinlock dtb_lock = SPINLOCK_INIT;
static bool all_stopped;
static const struct vm_dev_class *dev_classes[VM_DEV_CLASSES_MAX];
static unsigned int nr_dev_classes;

static uint64_t host_of(const struct vm *vm, uint64_t ipa)
{
	return pa_addr(vm->cfg->mem_host) + (ipa - ipa_addr(vm->cfg->mem_ipa));
}

void *vm_ipa_to_host(const struct vm *vm, uint64_t ipa, uint64_t len)
{
	uint64_t base = ipa_addr(vm->cfg->mem_ipa), size = vm->cfg->mem_size;

	if (ipa < base || ipa - base > size || len > size - (ipa - base))
		return NULL;
	return (void *)(uintptr_t)host_of(vm, ipa);
}

bool vm_add_mmio(struct vm *vm, const struct mmio_region *r)
{
	if (vm->nr_mmio == VM_MAX_MMIO)
		return false;
	vm->mmio[vm->nr_mmio++] = *r;
	return true;
}

bool vm_ipa_ignores_writes(const struct vm *vm, uint64_t ipa)
{
	(void)vm;
	return ipa < VIRT_FLASH1 + VIRT_FLASH_SIZE;
}

void vm_log_once(struct vcpu *v, const char *what, uint64_t addr)
{
	if (__atomic_exchange_n(&v->vm->abort_logged, true, __ATOMIC_ACQ_REL))
		return;
	kprintf("kairos: VM %s vCPU%u: %s 0x%llx at PC 0x%llx: abort injected (logged once per VM)\n",
		v->vm->cfg->name, v->id, what, (unsigned long long)addr,
		(unsigned long long)v->st.regs.pc);
}

static bool map_virt_profile(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;

	if (!arch_s2_map(vm->s2_root, ipa_addr(cfg->mem_ipa), cfg->mem_host,
			 cfg->mem_size, S2_RAM) ||
	    !arch_s2_map_erased(vm->s2_root, VIRT_FLASH0,
				VIRT_FLASH1 + VIRT_FLASH_SIZE - VIRT_FLASH0))
		return false;
	/* GICv2: the guest's GICC page is the GICV frame itself (emulated,
	 * unmapped, without a GIC: arch_vgic_cpuif_emulated()). */
	if (vm->vgic.version == 2 && !arch_vgic_cpuif_emulated() &&
	    !arch_s2_map(vm->s2_root, VIRT_GICC, hw.gicv, 0x1000, S2_DEVICE))
		return false;
	/* Shared memory: a read-only participant's writes fault (abort). */
	for (unsigned int k = 0; k < cfg->nr_shmem; k++)
		if (!arch_s2_map(vm->s2_root, ipa_addr(cfg->shmem[k].ipa),
				 cfg->shmem[k].host, cfg->shmem[k].size,
				 cfg->shmem[k].ro ? S2_RAM_RO : S2_RAM))
			return false;
	for (unsigned int k = 0; k < cfg->nr_devices; k++)
		if (!arch_s2_map(vm->s2_root, pa_addr(cfg->devices[k].reg.base),
				 cfg->devices[k].reg.base,
				 cfg->devices[k].reg.size, S2_DEVICE))
			return false;
	if (!vgic_mmio_attach(vm))
		return false;
	for (unsigned int i = 0; i < nr_dev_classes; i++)
		if (!dev_classes[i]->attach(vm))
			return false;
	return true;
}

/* Every device class's reset (or flush) for @vm. */
static void devs_reset(struct vm *vm)
{
	for (unsigned int i = 0; i < nr_dev_classes; i++)
		if (dev_classes[i]->reset)
			dev_classes[i]->reset(vm);
}

static void devs_flush(struct vm *vm)
{
	for (unsigned int i = 0; i < nr_dev_classes; i++)
		if (dev_classes[i]->flush)
			dev_classes[i]->flush(vm);
}

bool vm_dev_register(const struct vm_dev_class *c)
{
	for (unsigned int i = 0; i < nr_dev_classes; i++)
		if (dev_classes[i] == c)
			return true; /* registered already */
	if (nr_dev_classes == VM_DEV_CLASSES_MAX)
		return false;
	dev_classes[nr_dev_classes++] = c;
	return true;
}

/*
 * A passthrough SPI fired: the device's line is high. The physical
 * interrupt stays active until the guest deactivates the hardware-mapped
 * virtual one (GICv3 §4.4.6).
 */
static bool passthrough_irq(uint32_t intid, void *arg)
{
	struct vm *vm = arg;

	vgic_set_line(&vm->vcpus[0], intid, true);
	return false;
}

static void passthrough_setup(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;

	for (unsigned int k = 0; k < cfg->nr_irqs; k++) {
		uint32_t id = cfg->irqs[k];

		irq_set_handler(id, passthrough_irq, vm);
		irq_chip()->route(id, vm->vcpus[0].pcpu);
		irq_chip()->enable(id, true);
	}
}

static bool vm_create(struct vm *vm, const struct vm_config *cfg)
{
	vm->cfg = cfg;
	vm->nr_vcpus = cfg->nr_vcpus;
	vm->ckpt.base_slot = -1;
	vm->state = VM_STOPPED;
	vgic_vm_init(vm, irq_chip()->version);
	vm->s2_root = arch_s2_create();
	if (!vm->s2_root || !map_virt_profile(vm)) {
		kprintf("kairos: %s: out of stage-2 table pages\n", cfg->path);
		return false;
	}
	arch_s2_flush(vm->id + 1, vm->s2_root);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->pcpu = cfg->vcpu_cpu[i];
		v->run = VCPU_RUN_OFF;
		if (!cpus[v->pcpu].online) {
			kprintf("kairos: %s: property cpus: CPU%u is not online\n",
				cfg->path, v->pcpu);
			return false;
		}
		if (!sched_place(v)) {
			kprintf("kairos: %s: property cpus: CPU%u hosts too many vCPUs (at most %u)\n",
				cfg->path, v->pcpu, KAIROS_MAX_CPU_VCPUS);
			return false;
		}
	}
	return true;
}

/*
 * Shared-memory regions start zeroed, once per boot of Kairos: a VM's
 * reset leaves them as they are (the other participants still use them).
 */
static void shmem_create_all(const struct sys_config *cfg)
{
	for (unsigned int r = 0; r < cfg->nr_shmem; r++) {
		const struct shmem_config *s = &cfg->shmem[r];
		void *p = (void *)(uintptr_t)pa_addr(s->host);

		memset(p, 0, s->size);
		/* To the PoC: a guest may map it non-cacheable (UIO). */
		arch_dcache_clean(p, s->size);
		kprintf("kairos: %s: %llu KiB at host 0x%llx, doorbell INTID %u, %u participants\n",
			s->path, (unsigned long long)(s->size >> 10),
			(unsigned long long)pa_addr(s->host),
			VIRT_SHMEM_INTID + r, s->nr_peers);
	}
}

bool vm_create_all(const struct sys_config *cfg, const struct vm_hw *h)
{
	hw = *h;
	shmem_create_all(cfg);
	for (unsigned int i = 0; i < cfg->nr_vms; i++) {
		vms[i].id = i;
		if (!vm_create(&vms[i], &cfg->vms[i]))
			return false;
		vm_count++;
		passthrough_setup(&vms[i]);
	}
	for (unsigned int i = 0; i < vm_count; i++) {
		vm_boot(&vms[i]);
		kprintf("kairos: VM %s: %u vCPUs on CPU", vms[i].cfg->name,
			vms[i].nr_vcpus);
		for (unsigned int k = 0; k < vms[i].nr_vcpus; k++)
			kprintf("%s%u", k ? "," : "", vms[i].vcpus[k].pcpu);
		kprintf(", %llu MiB at IPA 0x%llx (host 0x%llx), entry 0x%llx\n",
			(unsigned long long)(vms[i].cfg->mem_size >> 20),
			(unsigned long long)ipa_addr(vms[i].cfg->mem_ipa),
			(unsigned long long)pa_addr(vms[i].cfg->mem_host),
			(unsigned long long)vms[i].entry_ipa);
		/* Guest count = physical - cntvoff (tools/kairos-bench). */
		kprintf("kairos: VM %s: cntvoff %llu\n", vms[i].cfg->name,
			(unsigned long long)vms[i].cntvoff);
	}
	return true;
}

void vm_run_all(void)
{
	for (unsigned int i = 0; i < vm_count; i++) {
		/* Not one whose resume failed without a fallback. */
		if (vms[i].cfg->resume_from >= 0 &&
		    __atomic_load_n(&vms[i].state, __ATOMIC_ACQUIRE) ==
			    VM_STOPPED)
			continue;
		sched_wake(&vms[i].vcpus[0]);
	}
}

/*
 * Fresh architectural state of a vCPU entering the guest at EL1h. Its
 * redistributor (vgic) state is not part of the PE and survives CPU_ON,
 * as on hardware; vm_boot resets it.
 */
static void vcpu_reset_state(struct vcpu *v, uint64_t pc, uint64_t x0)
{
	memset(&v->st.regs, 0, sizeof(v->st.regs));
	memset(&v->st.sys, 0, sizeof(v->st.sys));
	memset(&v->st.fp, 0, sizeof(v->st.fp));
	memset(&v->st.vtimer, 0, sizeof(v->st.vtimer));
	/* Its deadline may stay queued on its pCPU: expiry only wakes. */
	memset(&v->st.ptimer, 0, sizeof(v->st.ptimer));
	memset(&v->st.pmu, 0, sizeof(v->st.pmu));
	memset(&v->st.dbg, 0, sizeof(v->st.dbg));
	v->st.pmu_dbg_live = 0;
	v->st.regs.pc = pc;
	v->st.regs.x[0] = x0;
	v->st.regs.pstate = PSR_MODE_EL1h | PSR_DAIF;
	v->st.sys.sctlr = SCTLR_EL1_RESET;
	v->st.sys.vmpidr = (1UL << 31) | v->id;
	v->gen++;
}

void vcpu_power_on(struct vcpu *v, uint64_t entry, uint64_t ctx)
{
	vcpu_reset_state(v, entry, ctx);
	v->st.power = VCPU_POWER_ON;
	__atomic_store_n(&v->run, VCPU_RUN_READY, __ATOMIC_RELEASE);
}

void vcpu_power_off(struct vcpu *v)
{
	spin_lock(&v->vm->lock);
	v->st.power = VCPU_POWER_OFF;
	__atomic_store_n(&v->run, VCPU_RUN_OFF, __ATOMIC_RELEASE);
	spin_unlock(&v->vm->lock);
}

/*
 * Copy @len bytes from host @src to RAM offset @off: inside RAM, as
 * config_parse() laid the images out (vm_layout_compute()).
 */
static void load_at(struct vm *vm, uint64_t off, const void *src, uint64_t len)
{
	void *dst = vm_ipa_to_host(vm, ipa_addr(vm->cfg->mem_ipa) + off, len);

	CHECK(dst != NULL);
	vm_ram_touch(vm, off, len);
	arch_mem_copy(dst, src, len);
	/* The guest starts with its MMU and caches off: to the PoC. */
	arch_dcache_clean(dst, len);
}

/* Where this boot puts the images: its loaded kernel's layout, or its own. */
static const struct vm_layout *layout_of(const struct vm *vm)
{
	return vm->load.image ? &vm->image.layout : &vm->cfg->layout;
}

/*
 * The generated DTB into dtb_buf: its size. The largest tree a checked
 * configuration asks for fits GUEST_DTB_MAX (kairos/guest_dtb.h).
 */
static uint64_t build_dtb(struct vm *vm, uint64_t initrd_ipa,
			  uint64_t initrd_size)
{
	const struct vm_config *cfg = vm->cfg;
	struct guest_dtb_params p = {
		.mem_ipa = ipa_addr(cfg->mem_ipa),
		.mem_size = cfg->mem_size,
		.nr_vcpus = vm->nr_vcpus,
		.gic_version = irq_chip()->version,
		.timer_freq = 0,
		.pmu = vpmu_phys_intid() != 0,
		.bootargs = cfg->bootargs,
		.initrd_ipa = initrd_ipa,
		.initrd_size = initrd_size,
		.devices = cfg->devices,
		.nr_devices = cfg->nr_devices,
		.shmem = cfg->shmem,
		.nr_shmem = cfg->nr_shmem,
	};

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		p.vcpu_mpidr[i] = i;
	CHECK(guest_dtb_build(dtb_buf, sizeof(dtb_buf), &p) == KAIROS_OK);
	return fdt_totalsize(dtb_buf);
}

/*
 * A generated DTB (at most GUEST_DTB_MAX bytes) in one step: where the
 * layout puts it, and at RAM base when it fits below the kernel.
 */
static void load_generated_dtb(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	const struct vm_layout *l = layout_of(vm);
	uint64_t size;

	spin_lock(&dtb_lock);
	size = build_dtb(vm,
			 cfg->initrd.size ? ipa_addr(cfg->mem_ipa) + l->initrd :
					    0,
			 cfg->initrd.size);
	CHECK(size <= l->dtb_room);
	load_at(vm, l->dtb, dtb_buf, size);
	if (l->dtb_at_base)
		load_at(vm, 0, dtb_buf, size);
	spin_unlock(&dtb_lock);
}

/* What is copied to RAM offset @off from @src: part @p of the images. */
struct load_part {
	uint64_t off, len;
	const void *src;
};

/* Part @p of @vm's images: nothing (len 0) if that part has none. */
static struct load_part part_of(const struct vm *vm, enum vm_load_part p)
{
	const struct vm_config *cfg = vm->cfg;
	const struct vm_layout *l = layout_of(vm);
	const void *dtb = pa_to_ptr(cfg->dtb.base);

	switch (p) {
	case VM_LOAD_KERNEL:
		if (vm->load.image)
			return (struct load_part){ l->kernel, vm->image.size,
						   vm->image.bytes };
		return (struct load_part){ l->kernel, cfg->kernel.size,
					   pa_to_ptr(cfg->kernel.base) };
	case VM_LOAD_INITRD:
		return (struct load_part){ l->initrd, cfg->initrd.size,
					   pa_to_ptr(cfg->initrd.base) };
	case VM_LOAD_DTB:
		/* A generated one: built and loaded in one step (len 1). */
		return (struct load_part){ l->dtb,
					   cfg->dtb.size ? cfg->dtb_size : 1,
					   dtb };
	case VM_LOAD_DTB_BASE:
		return (struct load_part){
			0, cfg->dtb.size && l->dtb_at_base ? cfg->dtb_size : 0,
			dtb
		};
	default: return (struct load_part){ 0, 0, NULL };
	}
}

/* Past the parts that have nothing to load: they take no step. */
static void skip_empty_parts(struct vm *vm)
{
	while (vm->load.part != VM_LOAD_DONE && !part_of(vm, vm->load.part).len)
		vm->load.part++;
}

/*
 * One step of loading @vm's images where the layout puts them: at most
 * VM_RAM_CLEAR_STEP bytes of one of them. True when they are all loaded.
 * A VM's own DTB is copied straight from where the boot loader put it
 * (config_parse() checked its header and size against the room the
 * layout gives it).
 */
static bool load_step(struct vm *vm)
{
	struct load_part p;
	uint64_t n;

	skip_empty_parts(vm);
	if (vm->load.part == VM_LOAD_DONE)
		return true;
	p = part_of(vm, vm->load.part);
	if (vm->load.part == VM_LOAD_DTB && !vm->cfg->dtb.size) {
		load_generated_dtb(vm);
		n = p.len;
	} else {
		CHECK(vm->load.part != VM_LOAD_DTB ||
		      p.len <= layout_of(vm)->dtb_room);
		n = p.len - vm->load.done;
		if (n > VM_RAM_CLEAR_STEP)
			n = VM_RAM_CLEAR_STEP;
		load_at(vm, p.off + vm->load.done,
			(const uint8_t *)p.src + vm->load.done, n);
	}
	vm->load.done += n;
	if (vm->load.done == p.len) {
		vm->load.part++;
		vm->load.done = 0;
		skip_empty_parts(vm);
	}
	return vm->load.part == VM_LOAD_DONE;
}

/* Running or to run again: when it stops, say so (and power off) anew. */
static void vm_running(struct vm *vm)
{
	__atomic_store_n(&vm->state, VM_RUNNING, __ATOMIC_RELEASE);
	__atomic_store_n(&all_stopped, false, __ATOMIC_RELEASE);
}

/*
 * Everything of a boot but the RAM: the devices' and the interrupts'
 * state, the counter offset, the vCPUs. vCPU 0 is made ready but powered
 * off: it prepares the RAM a step at a time (vm_boot_step()), scheduled
 * and charged like any other, and enters no guest until that is done.
 */
static void boot_state(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t base = ipa_addr(cfg->mem_ipa);

	vm->load = (struct vm_load){ VM_LOAD_KERNEL, 0, vm_image_current(vm) };
	vm->dtb_ipa = base + layout_of(vm)->dtb;
	vm->entry_ipa = base + layout_of(vm)->kernel;
	/* The guest's counter starts near zero; one value for all vCPUs. */
	vm->cntvoff = arch_timer_now();
	vgic_vm_init(vm, vm->vgic.version);
	for (unsigned int k = 0; k < cfg->nr_irqs; k++) {
		/* A reset VM holds nothing: release what it had taken. */
		irq_chip()->set_active(cfg->irqs[k], false);
		vgic_map_hw(&vm->vcpus[0], cfg->irqs[k], cfg->irqs[k]);
	}
	devs_reset(vm);
	vm->abort_logged = false;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		spin_lock(&vm->lock);
		vgic_vcpu_reset(v);
		vgic_map_hw(v, VTIMER_INTID, hw.vtimer_intid);
		/* No timer of the last run fires meanwhile. */
		vcpu_reset_state(v, 0, 0);
		v->st.power = VCPU_POWER_OFF;
		__atomic_store_n(&v->run, i ? VCPU_RUN_OFF : VCPU_RUN_READY,
				 __ATOMIC_RELEASE);
		spin_unlock(&vm->lock);
	}
	vm_running(vm);
}

void vm_boot(struct vm *vm)
{
	vm_ram_fresh(vm);
	/* Kairos writes its RAM: it no longer equals any checkpoint. */
	if (vm->ckpt.base_slot >= 0)
		vm->ckpt.base_slot = -1;
	boot_state(vm);
}

/* The RAM is ready: vCPU 0 enters the kernel with the DTB in x0. */
static void boot_enter(struct vm *vm)
{
	arch_icache_invalidate_all();
	vm_ram_ready(vm);
	spin_lock(&vm->lock);
	vcpu_power_on(&vm->vcpus[0], vm->entry_ipa, vm->dtb_ipa);
	spin_unlock(&vm->lock);
}

enum vexit_result vm_boot_step(struct vcpu *v)
{
	struct vm *vm = v->vm;
	bool stale = false;

	/*
	 * As in guest context for quiesce(): a reset or stop that turned the
	 * vCPU off either is seen here or waits for the end of this step.
	 */
	__atomic_store_n(&v->in_guest, true, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->run, __ATOMIC_SEQ_CST) == VCPU_RUN_READY &&
	    vm_ram_clearing(vm) && vm_ram_clear_step(vm)) {
		bool loaded = load_step(vm);

		/* Its slot written while the bytes were copied: not entered. */
		stale = vm->load.image && !vm_image_intact(vm);
		if (loaded && !stale)
			boot_enter(vm);
	}
	__atomic_store_n(&v->in_guest, false, __ATOMIC_RELEASE);
	if (stale) {
		kprintf("kairos: VM %s: slot %u, which held its loaded kernel, was written during the boot: stopping the VM\n",
			vm->cfg->name, vm->image.slot);
		vm_image_revert(vm);
		vm_fail(vm, "loaded kernel overwritten during the boot");
	}
	return VEXIT_RESCHED;
}

/* Every vCPU off and out of guest context (kicks their pCPUs). */
static void quiesce(struct vm *vm)
{
	spin_lock(&vm->lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].st.power = VCPU_POWER_OFF;
		__atomic_store_n(&vm->vcpus[i].run, VCPU_RUN_OFF,
				 __ATOMIC_RELEASE);
	}
	spin_unlock(&vm->lock);
	/* Against vm_boot_step(): the stores above before in_guest's read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		sched_kick(vm->vcpus[i].pcpu);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		while (__atomic_load_n(&vm->vcpus[i].in_guest,
				       __ATOMIC_ACQUIRE))
			arch_cpu_relax();
}

/* Why a VM stops: the board powers off when the last one stops by itself. */
enum stop_cause { STOP_GUEST, STOP_FATAL, STOP_OPERATOR };

/* The VM's last stop was a fatal error (for the board's exit status). */
static bool failed[KAIROS_MAX_VMS];

static bool stop(struct vm *vm, const char *why, enum stop_cause cause)
{
	unsigned int running = 0;
	bool any_failed = false;

	if (__atomic_exchange_n(&vm->state, VM_STOPPED, __ATOMIC_ACQ_REL) ==
	    VM_STOPPED)
		return false;
	failed[vm->id] = cause == STOP_FATAL;
	quiesce(vm);
	devs_flush(vm);
	vm_notify(vm, cause == STOP_FATAL ? VM_EVENT_FAILED : VM_EVENT_STOPPED,
		  why);
	for (unsigned int i = 0; i < vm_count; i++) {
		running += __atomic_load_n(&vms[i].state, __ATOMIC_ACQUIRE) !=
			   VM_STOPPED;
		any_failed |= failed[i];
	}
	/* The operator who stopped it may start it again: stay on. */
	if (cause == STOP_OPERATOR)
		return true;
	/* Two VMs stopping at once both see none running: say it once. */
	if (!running &&
	    !__atomic_exchange_n(&all_stopped, true, __ATOMIC_ACQ_REL)) {
		kprintf("kairos: all VMs stopped\n");
		plat_power_off_status(any_failed ? POWER_VM_FAILED : POWER_OK);
	}
	return true;
}

void vm_stop(struct vm *vm, const char *why)
{
	stop(vm, why, STOP_GUEST);
}

bool vm_operator_stop(struct vm *vm, const char *why)
{
	return stop(vm, why, STOP_OPERATOR);
}

void vm_fail(struct vm *vm, const char *why)
{
	stop(vm, why, STOP_FATAL);
}

void vm_fatal(struct vcpu *v, const char *why)
{
	kprintf("kairos: VM %s vCPU%u: %s at PC 0x%llx: stopping the VM\n",
		v->vm->cfg->name, v->id, why,
		(unsigned long long)v->st.regs.pc);
	stop(v->vm, why, STOP_FATAL);
}

/* Boot @vm again from its images; @vm->resetting is held. */
static void reboot(struct vm *vm, enum vm_event what)
{
	/*
	 * Its vCPUs are turned off, but the VM does not count as stopped:
	 * another VM stopping meanwhile must not power the board off.
	 */
	quiesce(vm);
	devs_flush(vm);
	/* Told before it boots: its first output comes after the news. */
	vm_notify(vm, what, NULL);
	vm_boot(vm);
	failed[vm->id] = false;
	__atomic_store_n(&vm->resetting, false, __ATOMIC_RELEASE);
	sched_wake(&vm->vcpus[0]);
}

void vm_reset(struct vm *vm)
{
	if (__atomic_exchange_n(&vm->resetting, true, __ATOMIC_ACQ_REL))
		return;
	reboot(vm, VM_EVENT_RESET);
}

bool vm_start(struct vm *vm)
{
	if (__atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) != VM_STOPPED ||
	    __atomic_exchange_n(&vm->resetting, true, __ATOMIC_ACQ_REL))
		return false;
	reboot(vm, VM_EVENT_STARTED);
	return true;
}

void vm_pause(struct vm *vm, bool pause)
{
	enum vm_state from = pause ? VM_RUNNING : VM_PAUSED;

	if (!__atomic_compare_exchange_n(&vm->state, &from,
					 pause ? VM_PAUSED : VM_RUNNING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		sched_kick(vm->vcpus[i].pcpu);
	vm_notify(vm, pause ? VM_EVENT_PAUSED : VM_EVENT_RESUMED, NULL);
}

struct vm *vm_by_name(const char *name)
{
	for (unsigned int i = 0; i < vm_count; i++)
		if (!strcmp(vms[i].cfg->name, name))
			return &vms[i];
	return NULL;
}

void vcpu_load(struct vcpu *v)
{
	arch_vcpu_load(v);
	arch_vgic_load(&v->st.vgic);
	vtimer_load(v);
	ptimer_load(v);
}

void vcpu_put(struct vcpu *v)
{
	/* Folded before (core/run.c): the put leaves no list register. */
	CHECK(!v->lrs_live);
	vtimer_put(v);
	vgic_release_hw(v);
	arch_vgic_put(&v->st.vgic);
	arch_vcpu_put(v);
}

void vcpu_discard(struct vcpu *v)
{
	struct vcpu_vtimer t;
	struct vgic_cpu scratch;

	/* The hardware must still be left clean: save into scratch. */
	arch_vtimer_save(&t.cval, &t.ctl);
	vgic_release_hw(v);
	arch_vgic_put(&scratch);
	arch_vcpu_discard(v);
}
