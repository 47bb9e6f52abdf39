// SPDX-License-Identifier: MIT
/* VM state changes told to the registered observers (see vm_events.h). */
#include <kairos/compiler.h>
#include <kairos/vm_events.h>

static const struct vm_observer *observers[VM_OBSERVERS_MAX];
static unsigned int nr_observers;

static const char *const names[VM_EVENT_COUNT] = {
	[VM_EVENT_STARTED] = "started",
	[VM_EVENT_RESET] = "reset",
	[VM_EVENT_STOPPED] = "stopped",
	[VM_EVENT_FAILED] = "failed",
	[VM_EVENT_PAUSED] = "paused",
	[VM_EVENT_RESUMED] = "resumed",
	[VM_EVENT_CHECKPOINTED] = "checkpointed",
	[VM_EVENT_RESTORED] = "restored",
};

bool vm_observer_register(const struct vm_observer *o)
{
	unsigned int n = __atomic_load_n(&nr_observers, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < n; i++)
		if (observers[i] == o)
			return true;
	if (n == ARRAY_SIZE(observers))
		return false;
	observers[n] = o;
	/* Published whole: a notify that sees the count sees the entry. */
	__atomic_store_n(&nr_observers, n + 1, __ATOMIC_RELEASE);
	return true;
}

void vm_notify(struct vm *vm, enum vm_event ev, const char *detail)
{
	unsigned int n = __atomic_load_n(&nr_observers, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < n; i++)
		observers[i]->notify(observers[i], vm, ev, detail);
}

const char *vm_event_name(enum vm_event ev)
{
	return (unsigned int)ev < VM_EVENT_COUNT ? names[ev] : "unknown";
}
