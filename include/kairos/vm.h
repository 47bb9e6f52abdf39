/* SPDX-License-Identifier: MIT */
/* VMs and vCPUs at run time. */
#ifndef KAIROS_VM_H
#define KAIROS_VM_H

#include <arch/stage2.h>
#include <kairos/spinlock.h>
#include <kairos/timerq.h>
#include <kairos/vcpu_state.h>
#include <kairos/vexit_result.h>
#include <kairos/vm_config.h>

struct vm;
struct vcpu;

/** Scheduling state of a vCPU. */
enum vcpu_run {
	VCPU_RUN_OFF,     /**< PSCI off, or its VM is stopped */
	VCPU_RUN_READY,   /**< wants a pCPU */
	VCPU_RUN_BLOCKED, /**< in WFI with nothing pending */
};

/** A vCPU: its captured state plus run-time links. */
struct vcpu {
	struct vcpu_state st;
	struct vm *vm;
	unsigned int id;   /**< index in its VM */
	unsigned int pcpu; /**< physical CPU it runs on */
	enum vcpu_run run;
	bool fp_loaded;      /**< its FP/SIMD registers are in hardware */
	bool in_guest;       /**< executing guest code right now, or a step
				   of vm_boot_step() (atomic) */
	uint32_t gen;        /**< bumped when its state is reset in memory */
	uint32_t loaded_gen; /**< gen when last loaded: older hardware state
				   is stale and must not be saved */
	uint32_t migrate_to; /**< pCPU + 1 it is asked to move to, or 0 */
	/*
	 * Its list registers (core/run.c): written and not yet folded back
	 * (only while its pCPU runs it, between an exit handled without
	 * the vGIC or timers and the next entry: docs/design.md §6), how
	 * many were written, and a change to its vGIC state since, which
	 * they must be rebuilt for before it enters again (atomic).
	 */
	bool lrs_live;
	unsigned int lrs_n;
	bool lrs_stale;
	/**
	 * Its timer lines were derived for its last entry and not re-sampled
	 * since (run_settle() does it, once, after the exit).
	 */
	bool lines_due;
	/** The last fill left pending interrupts out (no room). */
	bool lrs_left_out;
	/**
	 * Set by vgic_fill_lrs(): it listed a passthrough level-sensitive
	 * SPI pending that the guest has not acknowledged, whose line the
	 * device may drop before the guest gets to it. The guest's
	 * acknowledge must then trap (arch_vgic_trap_ack()) so that Kairos
	 * can re-sample the line first (docs/design.md §5).
	 */
	bool ack_trap;
	/** vgic_resample() marked lines not yet listed again. */
	bool resampled;
	/** A fault loop is being counted (core/faultloop.c). */
	bool faultloop_live;
	uint64_t exits;      /**< statistics */
	uint64_t migrations; /**< statistics */
	/** Put, deadlines cancelled, not to run while its VM is held. */
	bool parked;
	/**
	 * Ticks of turn it has left on its pCPU (core/sched.c; that pCPU's
	 * only): granted a slice per round-robin turn, charged for the time
	 * it runs while others compete; boosts may take it below zero.
	 */
	int64_t credit;
	/**
	 * Woken with a newly pending interrupt and not picked since: the
	 * physical count then (made odd, never 0), else 0 (atomic).
	 */
	uint64_t boost;
	/** When it last blocked in WFI on its pCPU, until refunded, or 0. */
	uint64_t blocked_at;
	/** Wakes it at its vtimer while it is blocked in WFI or put. */
	struct timerq_entry backup;
	/** Wakes it at its ptimer's CVAL; armed only on its own pCPU. */
	struct timerq_entry ptimer;
};

enum vm_state { VM_RUNNING, VM_PAUSED, VM_STOPPED };

/** Checkpoint bookkeeping of a VM (core/ckpt/ckpt.c). */
struct vm_ckpt {
	uint64_t checkpoints, restores;
	uint64_t incremental;  /**< restores that copied dirty pages only */
	uint64_t pages_copied; /**< by the last restore */
	uint64_t last_ticks;   /**< the last operation's physical ticks */
	/**
	 * Guest RAM equals the image in slot base_slot (of generation
	 * base_gen) except for pages stage 2 saw written since: -1 if none.
	 */
	int base_slot;
	uint32_t base_gen;
	bool tracking; /**< its RAM is mapped page by page, written pages
			    become writable on their first write */
	struct s2_write_log written; /**< those pages, while tracking */
};

/** An emulated MMIO device of a VM. */
struct mmio_region {
	uint64_t base, size;
	/** Returns false to make the access fault (abort in the guest). */
	bool (*read)(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		     uint64_t *val);
	bool (*write)(struct vcpu *v, void *dev, uint64_t off, unsigned int len,
		      uint64_t val);
	void *dev;
};

#define VM_MAX_MMIO 8
#define VUART_LINE 256

/** The virtual PL011 of a VM. */
struct vuart {
	uint32_t cr, lcr_h, ibrd, fbrd, imsc, ris, ifls;
	char line[VUART_LINE]; /**< output not yet printed (raw bytes) */
	unsigned int len;
	uint64_t last_write; /**< count at the last byte buffered */
	unsigned int col;    /**< what its console line shows after the label */
	bool cr_pending;     /**< a CR came: a line end, whatever follows */
	char rx[64];
	unsigned int rx_head, rx_tail;
};

/** RAM of a VM in 2 MiB chunks, zeroed at their first touch (vm_ram.h). */
#define VM_RAM_CHUNK (2UL << 20)
/** Most chunks tracked (8 GiB of RAM); a larger VM is zeroed at boot. */
#define VM_RAM_CHUNKS_MAX 4096U

/** Which chunks of a VM's RAM are fresh (core/vm_ram.c). */
struct vm_ram {
	bool lazy;            /**< chunks are zeroed at first touch */
	struct spinlock lock; /**< orders first touches of the chunks */
	/** Bit set: the chunk is unmapped and not yet zeroed. */
	uint64_t fresh[VM_RAM_CHUNKS_MAX / 64];
	/**
	 * Its RAM is being prepared for a boot by vm_boot_step(): zeroed
	 * (not lazy), then loaded with its images (atomic).
	 */
	bool clearing;
	uint64_t cleared; /**< bytes zeroed so far, from the start */
};

/** The images a boot loads, in the order vm_boot_step() loads them. */
enum vm_load_part {
	VM_LOAD_KERNEL,
	VM_LOAD_INITRD,
	VM_LOAD_DTB,      /**< at the layout's DTB offset */
	VM_LOAD_DTB_BASE, /**< again at RAM base, when the layout says so */
	VM_LOAD_DONE,
};

/** How far a boot's loading of the images is (core/vm.c). */
struct vm_load {
	enum vm_load_part part;
	uint64_t done; /**< bytes of that part copied */
	/** This boot loads the VM's loaded kernel (vm.image), not its own. */
	bool image;
};

/**
 * A kernel loaded into a stopped VM over the control channel
 * (core/vm_image.c, docs/control.md "Loading a new image"): its bytes
 * stay in the checkpoint slot they were staged in, and every boot of the
 * VM (start, reset) loads them instead of the configured kernel until it
 * is reverted or the slot is written again (its generation changes).
 */
struct vm_image {
	bool active;       /**< boots load it (atomic) */
	unsigned int slot; /**< the checkpoint slot that holds the bytes */
	/** Its generation, bumped before the slot is written again */
	const uint32_t *gen_at;
	uint32_t gen; /**< the slot's generation when the bytes came */
	const uint8_t *bytes;
	uint64_t size;
	uint32_t crc;            /**< CRC32C of the bytes */
	struct vm_layout layout; /**< the VM's images laid out with it */
};

/**
 * Doorbell counts of one shared-memory region of a VM (core/vdev/shmem.c,
 * docs/shmem.md), by the VM's entry in its vm_config.shmem. Atomic.
 */
struct vm_shmem_bells {
	uint64_t rung;      /**< its rings that pended a peer's SPI */
	uint64_t coalesced; /**< its rings to a peer whose SPI was pending */
	uint64_t bad;       /**< its rings to an index without a peer */
	uint64_t dropped;   /**< its rings to a stopped peer */
	uint64_t received;  /**< rings of peers that pended its SPI */
};

/**
 * The emulated PCI function of one region of a VM (core/vdev/vpci.c), by
 * its entry in vm_config.shmem. Under vm.shmem_lock.
 */
struct vm_pci_fn {
	uint16_t command; /**< the writable bits of the Command register */
	uint8_t sizing;   /**< BAR dwords written all-ones: answer the size */
	uint8_t int_line; /**< Interrupt Line (scratch for the guest) */
};

/** A VM. */
struct vm {
	unsigned int id; /**< index; VMID is id + 1 */
	const struct vm_config *cfg;
	enum vm_state state;
	struct spinlock lock; /**< power state of its vCPUs, state */
	uint64_t *s2_root;    /**< stage-2 level-1 table */
	struct vcpu vcpus[KAIROS_MAX_VCPUS];
	unsigned int nr_vcpus;
	struct mmio_region mmio[VM_MAX_MMIO];
	unsigned int nr_mmio;
	unsigned int mmio_last; /**< the region hit last (atomic; a hint) */
	struct vuart uart;
	/** Orders updates of the UART's interrupt line (vuart_sync_line). */
	struct spinlock uart_line_lock;
	struct vgic_dist vgic;
	/**
	 * GICv2: the vCPUs whose acknowledge traps (arch_vgic_trap_ack()):
	 * while any does, the first page of the guest's GICC is unmapped.
	 */
	uint32_t ack_trap_vcpus;
	struct spinlock ack_trap_lock;
	uint64_t cntvoff; /**< CNTVOFF_EL2 of all its vCPUs (one per VM) */
	uint64_t entry_ipa, dtb_ipa; /**< how vCPU0 starts */
	bool abort_logged; /**< one log line per VM for stray accesses */
	bool resetting;    /**< a reset is reloading its memory */
	/** Held (sched_hold_vm): its vCPUs run nowhere, their state is in
	 *  memory (a checkpoint or restore is reading or writing it). */
	bool hold;
	struct vm_ckpt ckpt;
	struct vm_ram ram;
	struct vm_load load;
	struct vm_image image;
	struct vm_shmem_bells bells[KAIROS_MAX_SHMEM];
	/**
	 * By entry: a peer rang and the VM has not acknowledged (the doorbell's
	 * INTR_STATUS), its PCI function's INTx status and, unless INTx is
	 * disabled, its line. Under shmem_lock.
	 */
	bool bell_unacked[KAIROS_MAX_SHMEM];
	struct vm_pci_fn pci[KAIROS_MAX_SHMEM];
	/** Orders rings, acknowledges and Command writes with the INTx lines. */
	struct spinlock shmem_lock;
};

/** What VMs need of the board. */
struct vm_hw {
	paddr_t gicv;          /**< GICv2: the GICV frame (mapped as GICC) */
	uint32_t vtimer_intid; /**< physical INTID of the virtual timer */
};

extern struct vm vms[KAIROS_MAX_VMS];
extern unsigned int vm_count;

/**
 * Create and boot every configured VM (boot CPU, before secondaries run
 * them); none runs until vm_run_all().
 */
bool vm_create_all(const struct sys_config *cfg, const struct vm_hw *hw);

/**
 * Let every VM run: vCPU 0 of each is woken, except in a VM that a
 * refused resume left stopped. Boot calls it after the resumes.
 */
void vm_run_all(void);

/**
 * Boot @vm afresh: its devices, interrupts and vCPUs reset, its RAM fresh,
 * vCPU0 ready but off, the others off; vCPU0 then zeroes what must be and
 * loads the images, a step per run (vm_boot_step()), before its first
 * instruction.
 */
void vm_boot(struct vm *vm);

/**
 * Run by the scheduled vCPU @v instead of its guest while its VM's RAM is
 * being prepared for a boot (vm_ram_clearing()): one step of the zeroing
 * or of the copy of an image (VM_RAM_CLEAR_STEP bytes at most), charged
 * to @v like guest time; after the last one, vCPU 0 is powered on at the
 * kernel's entry. Interrupts stay masked for one step only; returns
 * VEXIT_RESCHED.
 */
enum vexit_result vm_boot_step(struct vcpu *v);

/**
 * Stop every vCPU of @vm (PSCI SYSTEM_OFF, a fatal guest error); its
 * memory and vCPU state stay as they are. When no VM runs any more the
 * board powers off.
 */
void vm_stop(struct vm *vm, const char *why);

/**
 * Stop @vm on the operator's request (shell `vm stop`, control `stop`):
 * as vm_stop(), but the board stays on even when no VM runs any more.
 * False if it was stopped already.
 */
bool vm_operator_stop(struct vm *vm, const char *why);

/** Restart @vm from its images (PSCI SYSTEM_RESET, shell reset). */
void vm_reset(struct vm *vm);

/**
 * Stop @vm as failed, before or while it runs (a resume it cannot make);
 * if no VM runs any more the board powers off with the failure status.
 */
void vm_fail(struct vm *vm, const char *why);

/**
 * Boot a stopped @vm cold from its images. False (nothing done) if it is
 * not stopped or is being reset.
 */
bool vm_start(struct vm *vm);

/**
 * Whether @bytes (@size of them) could be @vm's kernel: laid out with
 * its configured initrd and DTB in its RAM as a boot would (the arm64
 * Image header read when there is one) into *@out. False with the
 * reason in @why when they do not fit.
 */
bool vm_image_fits(const struct vm *vm, const uint8_t *bytes, uint64_t size,
		   struct vm_layout *out, char *why, size_t why_len);

/** Where a loaded kernel's bytes were staged. */
struct vm_image_stage {
	unsigned int slot;      /**< the checkpoint slot (for messages) */
	const uint32_t *gen_at; /**< its generation (ckpt_slot_gen_at()) */
	uint32_t gen;           /**< its value once the bytes were written */
};

/**
 * Make @bytes (@size, CRC32C @crc), staged as @stage says, the kernel the
 * stopped @vm boots from now on. False, nothing changed and the reason in
 * @why, when @vm is not stopped or the kernel does not fit
 * (vm_image_fits()).
 */
bool vm_image_set(struct vm *vm, const struct vm_image_stage *stage,
		  const uint8_t *bytes, uint64_t size, uint32_t crc, char *why,
		  size_t why_len);

/** Boot @vm from its configured kernel again; false if it had no other. */
bool vm_image_revert(struct vm *vm);

/**
 * Whether the next boot of @vm loads its loaded kernel: it has one and
 * its slot still holds the bytes (else it is dropped, with a console
 * line saying so).
 */
bool vm_image_current(struct vm *vm);

/**
 * Whether the slot of @vm's loaded kernel is as when the bytes came: the
 * check of a boot after each step of their copy.
 */
bool vm_image_intact(const struct vm *vm);

/** Pause or resume all vCPUs of @vm. */
void vm_pause(struct vm *vm, bool pause);

/** The VM called @name, or NULL. */
struct vm *vm_by_name(const char *name);

/** Translate a guest IPA range inside RAM to a host pointer, or NULL. */
void *vm_ipa_to_host(const struct vm *vm, uint64_t ipa, uint64_t len);

/**
 * PSCI CPU_ON of @v (VM lock held): fresh EL1 state, PC = @entry,
 * x0 = @ctx, ready to run. The caller wakes it with sched_wake().
 */
void vcpu_power_on(struct vcpu *v, uint64_t entry, uint64_t ctx);

/** PSCI CPU_OFF of @v, which is running on this pCPU. */
void vcpu_power_off(struct vcpu *v);

/** Put @v's whole state into this pCPU (EL1, timer, vGIC interface). */
void vcpu_load(struct vcpu *v);

/** Save it back and leave the hardware clean for another vCPU. */
void vcpu_put(struct vcpu *v);

/** Leave the hardware clean without saving (@v's state was reset). */
void vcpu_discard(struct vcpu *v);

/**
 * A kind of emulated device every VM gets. The devices register their
 * classes at boot (core/vdev/, vdev_register()), so that core creates,
 * resets and drains them without naming them.
 */
struct vm_dev_class {
	const char *name;
	/** At creation: register its MMIO windows in @vm; false: no room. */
	bool (*attach)(struct vm *vm);
	/** At cold boot and reset: power-on state. */
	void (*reset)(struct vm *vm);
	/** The VM stops: nothing it produced is lost (output printed). */
	void (*flush)(struct vm *vm);
};

/** Most device classes vm_dev_register() takes. */
#define VM_DEV_CLASSES_MAX 4

/** Add @c for every VM created from now on; false when full. */
bool vm_dev_register(const struct vm_dev_class *c);

/** Add an emulated device. */
bool vm_add_mmio(struct vm *vm, const struct mmio_region *r);

/**
 * Log a stray guest access, once per VM (a hostile guest must not flood
 * the console): @what describes it.
 */
void vm_log_once(struct vcpu *v, const char *what, uint64_t addr);

/** The guest did something Kairos cannot continue: stop its VM. */
void vm_fatal(struct vcpu *v, const char *why);

#endif
