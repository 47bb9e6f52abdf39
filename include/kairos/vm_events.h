/* SPDX-License-Identifier: MIT */
/*
 * VM state changes, told to observers. The VM side of core (vm.c,
 * ckpt.c) reports each change once, with vm_notify(); what is shown of it
 * and where (the shell's message, the control channel's event line) is
 * up to the observers, which the console registers at boot. Core below
 * the console therefore calls nothing of the shell or the channel.
 */
#ifndef KAIROS_VM_EVENTS_H
#define KAIROS_VM_EVENTS_H

#include <kairos/types.h>

struct vm;

/** What happened to a VM. */
enum vm_event {
	VM_EVENT_STARTED,      /**< a stopped VM was booted cold again */
	VM_EVENT_RESET,        /**< rebooted from its images */
	VM_EVENT_STOPPED,      /**< stopped by itself or by the operator */
	VM_EVENT_FAILED,       /**< stopped by a fatal error */
	VM_EVENT_PAUSED,       /**< its vCPUs are held */
	VM_EVENT_RESUMED,      /**< they run on */
	VM_EVENT_CHECKPOINTED, /**< saved into a checkpoint slot */
	VM_EVENT_RESTORED,     /**< brought back from a checkpoint slot */
	VM_EVENT_COUNT
};

/** Most observers (the shell and the control channel need two). */
#define VM_OBSERVERS_MAX 4

/** Someone told of every VM state change. */
struct vm_observer {
	const char *name;
	/**
	 * @vm had @ev; @detail says more or is NULL: the reason for
	 * STOPPED and FAILED, "slot <n>" for CHECKPOINTED and RESTORED.
	 * Called on the CPU that made the change, once per change, in the
	 * order observers were registered; it must not block.
	 */
	void (*notify)(const struct vm_observer *o, struct vm *vm,
		       enum vm_event ev, const char *detail);
};

/**
 * Tell @o of every change from now on (boot, before VMs run). False if
 * the table is full (nothing changes then). Registering @o again changes
 * nothing and is true.
 */
bool vm_observer_register(const struct vm_observer *o);

/** Tell every observer, in registration order, that @vm had @ev. */
void vm_notify(struct vm *vm, enum vm_event ev, const char *detail);

/** "started", "reset", "stopped", ...: @ev as one word. */
const char *vm_event_name(enum vm_event ev);

#endif
